//! The identity check's facts (`decide::identity`) from the ledger and the snapshot: this
//! Neuron object's last paid registration, the hotkeys our registrations paid for, the subnet's
//! neurons, and the user's confirmations. Only for a hotkey the snapshot does not show.

use super::observe::Observed;
use crate::api::{Neuron, Spend, SpendCall};
use crate::decide::identity::{
    check, Holder, Identity, IdentityInput, OurRegistration, CONFIRM_HOTKEY, CONFIRM_SUBNET,
};
use kube::ResourceExt;

fn succeeded(s: &Spend) -> bool {
    s.spec.call == SpendCall::Register
        && s.status
            .as_ref()
            .and_then(|st| st.result.as_deref())
            .is_some_and(|r| r.starts_with("Success"))
}

/// This object's last successful registration on `netuid` (a recreated Neuron is a new object:
/// its first key is its own to register).
fn ours(spends: &[Spend], object_uid: &str, netuid: u16) -> Option<OurRegistration> {
    spends
        .iter()
        .filter(|s| succeeded(s) && s.spec.netuid == netuid)
        .filter(|s| s.spec.neuron_uid.as_deref() == Some(object_uid))
        .filter_map(|s| Some((s, s.status.as_ref()?.block?)))
        .max_by_key(|(_, block)| *block)
        .map(|(s, block)| OurRegistration {
            hotkey: s.spec.hotkey.clone(),
            block,
            subnet_registered_at: s.spec.subnet_registered_at,
        })
}

/// The hotkey this Neuron object last paid to register (any netuid), if any.
pub fn registered_hotkey(neuron: &Neuron, spends: &[Spend]) -> Option<String> {
    let uid = neuron.uid()?;
    spends
        .iter()
        .filter(|s| succeeded(s) && s.spec.neuron_uid.as_deref() == Some(uid.as_str()))
        .max_by_key(|s| s.status.as_ref().and_then(|st| st.block))
        .map(|s| s.spec.hotkey.clone())
}

pub fn identity(neuron: &Neuron, obs: &Observed, coldkey: Option<String>) -> Identity {
    let (Some(snap), Some(hotkey), Some(object_uid)) =
        (obs.snapshot(), obs.hotkey_id(), neuron.uid())
    else {
        return Identity::Clear;
    };
    if obs.info().is_some() {
        return Identity::Clear;
    }
    let notes = neuron.annotations();
    let input = IdentityInput {
        hotkey: hotkey.ss58(),
        coldkey,
        ours: ours(&obs.spends, &object_uid, snap.netuid),
        paid_hotkeys: obs
            .spends
            .iter()
            .filter(|s| succeeded(s))
            .map(|s| s.spec.hotkey.clone())
            .collect(),
        network_registered_at: snap.params.network_registered_at,
        neurons: snap
            .neurons
            .iter()
            .map(|n| Holder {
                hotkey: n.hotkey.ss58(),
                coldkey: n.coldkey.ss58(),
                registered_at_block: n.registered_at_block,
            })
            .collect(),
        confirmed_subnet: notes
            .get(CONFIRM_SUBNET)
            .and_then(|v| v.trim().parse().ok()),
        confirmed_hotkey: notes.get(CONFIRM_HOTKEY).map(|v| v.trim().to_string()),
    };
    check(&input)
}
