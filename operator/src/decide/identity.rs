//! Whose registration is it? Before paying for a hotkey that is not (or no longer) in `Uids`,
//! the operator asks whether its earlier registration moved rather than ended. Registration is
//! keyed by (hotkey, netuid, the subnet's `NetworkRegisteredAt`): pure, from the ledger and the
//! snapshot.
//!
//! - Subnet replaced: this Neuron registered on the netuid when it was registered at block R;
//!   the netuid now shows another `NetworkRegisteredAt` (dissolved and registered anew, HEAD
//!   `subnets/subnet.rs`): another subnet under the same number. Nothing is spent until the
//!   user confirms the new subnet (annotation [`CONFIRM_SUBNET`] = the new block).
//! - Hotkey swapped: `swap_hotkey` moves `Uids`/`Keys` to the new hotkey and leaves
//!   `BlockAtRegistration(netuid, uid)` as it was (HEAD `swap/swap_hotkey.rs`
//!   `perform_hotkey_swap_on_one_subnet`). A neuron of our coldkey registered at the block of our
//!   own registration, under a hotkey none of our registrations paid for, is our uid under its
//!   new key. (A pruned uid taken by a new registration has a new registration block; a
//!   registration of our coldkey made elsewhere in the same block looks alike: the user
//!   overrides with [`CONFIRM_HOTKEY`] naming the key to register.)
//! - Hotkey changed: the Secret now holds another key than the one this Neuron (this object)
//!   paid for. A new key is registered only when the user confirms it (annotation
//!   [`CONFIRM_HOTKEY`] = its ss58): a swapped-in or lost key must not cost a second burn.

/// Annotation on a Neuron: the `NetworkRegisteredAt` block of the subnet now under its netuid
/// that the user accepts (see `SubnetReplaced`).
pub const CONFIRM_SUBNET: &str = "tensorfleet.io/confirm-subnet-registered-at";
/// Annotation on a Neuron: the ss58 of a new hotkey the user wants registered (paid) although
/// the Neuron registered another one before.
pub const CONFIRM_HOTKEY: &str = "tensorfleet.io/confirm-new-hotkey";

/// The last successful registration of this Neuron object, from the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OurRegistration {
    pub hotkey: String,
    /// Inclusion block: the uid's `BlockAtRegistration`.
    pub block: u64,
    /// The subnet's `NetworkRegisteredAt` when it was made (None: recorded before it was kept).
    pub subnet_registered_at: Option<u64>,
}

/// A neuron of the snapshot, as the identity check needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub hotkey: String,
    pub coldkey: String,
    pub registered_at_block: u64,
}

#[derive(Clone, Debug, Default)]
pub struct IdentityInput {
    /// The hotkey in the Secret now (ss58).
    pub hotkey: String,
    /// Our coldkey (ss58), when known.
    pub coldkey: Option<String>,
    pub ours: Option<OurRegistration>,
    /// Hotkeys any registration in the namespace's ledger paid for (our other Neurons).
    pub paid_hotkeys: Vec<String>,
    pub network_registered_at: u64,
    pub neurons: Vec<Holder>,
    pub confirmed_subnet: Option<u64>,
    pub confirmed_hotkey: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Identity {
    /// Nothing says the earlier registration lives on elsewhere: registering is this hotkey's.
    #[default]
    Clear,
    SubnetReplaced {
        was: u64,
        now: u64,
    },
    HotkeySwapped {
        new_hotkey: String,
    },
    HotkeyChanged {
        registered: String,
    },
}

/// For a hotkey the snapshot does not show registered.
pub fn check(i: &IdentityInput) -> Identity {
    let Some(ours) = &i.ours else {
        return Identity::Clear;
    };
    if let Some(was) = ours.subnet_registered_at {
        let now = i.network_registered_at;
        if was != now && i.confirmed_subnet != Some(now) {
            return Identity::SubnetReplaced { was, now };
        }
        if was != now {
            // Confirmed: a new subnet; what happened on the old one does not carry over.
            return Identity::Clear;
        }
    }
    // The user confirmed this key: register it, whatever its uid's history suggests.
    if i.confirmed_hotkey.as_deref() == Some(i.hotkey.as_str()) {
        return Identity::Clear;
    }
    if let Some(coldkey) = &i.coldkey {
        let mut moved = i.neurons.iter().filter(|n| {
            &n.coldkey == coldkey
                && n.registered_at_block == ours.block
                && n.hotkey != ours.hotkey
                && n.hotkey != i.hotkey
                && !i.paid_hotkeys.contains(&n.hotkey)
        });
        if let (Some(n), None) = (moved.next(), moved.next()) {
            return Identity::HotkeySwapped {
                new_hotkey: n.hotkey.clone(),
            };
        }
    }
    if ours.hotkey != i.hotkey {
        return Identity::HotkeyChanged {
            registered: ours.hotkey.clone(),
        };
    }
    Identity::Clear
}

impl Identity {
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Identity::Clear => None,
            Identity::SubnetReplaced { .. } => Some("SubnetReplaced"),
            Identity::HotkeySwapped { .. } => Some("HotkeySwapped"),
            Identity::HotkeyChanged { .. } => Some("HotkeyChanged"),
        }
    }

    pub fn message(&self, hotkey: &str) -> String {
        match self {
            Identity::Clear => String::new(),
            Identity::SubnetReplaced { was, now } => format!(
                "the netuid was registered anew at block {now} (this Neuron registered on the subnet registered at block {was}): it is another subnet; nothing is spent until annotation {CONFIRM_SUBNET}: \"{now}\" confirms it"
            ),
            Identity::HotkeySwapped { new_hotkey } => format!(
                "the uid of hotkey {hotkey} now belongs to hotkey {new_hotkey} of the same coldkey (swap_hotkey); nothing is registered: put the new hotkey in the hotkey Secret (or, if this is no swap, register {hotkey} anew with annotation {CONFIRM_HOTKEY}: \"{hotkey}\")"
            ),
            Identity::HotkeyChanged { registered } => format!(
                "this Neuron registered hotkey {registered}, the hotkey Secret now holds {hotkey}: a new key is registered (paid) only when annotation {CONFIRM_HOTKEY}: \"{hotkey}\" confirms it"
            ),
        }
    }
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
