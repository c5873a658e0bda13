//! What a failed spend means for the operator, by the chain's error or rejection NAME (names are
//! stable across runtimes; pallet and error indices are not). Pure.
//!
//! Sources at HEAD (spec 425): `RegistrationPriceLimitExceeded` (`subnets/registration.rs:156`,
//! fee paid, nothing burned); `Proxy.NotProxy` (no definition of the forced proxy type,
//! `pallets/proxy/src/lib.rs:1085-1098`) and `System.CallFiltered` (the proxy type does not
//! allow the call); `ColdkeySwapAnnounced` / `ColdkeySwapDisputed` (module errors,
//! `guards/check_coldkey_swap.rs:33-63`) and their pool codes 0 (`ColdkeyInSwapSchedule`) and 21
//! (`common/src/transaction_error.rs`).

/// How to treat a failed or refused spend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpendFailure {
    /// The price moved past the limit by inclusion: wait for it, not a failure spiral.
    PriceLimit,
    /// The proxy key cannot make the call for its coldkey: a user's fix, never retried blindly.
    ProxyMisconfigured,
    /// The coldkey announced (or disputes) a swap: the chain refuses its calls until it resolves.
    ColdkeySwap,
    /// Anything else: recorded, retried after the failure pause.
    Other,
}

pub fn classify(name: &str) -> SpendFailure {
    match name {
        // The swap pallet's `PriceLimitExceeded`: a stake limit the price moved past (HEAD).
        "RegistrationPriceLimitExceeded" | "SlippageTooHigh" | "PriceLimitExceeded" => {
            SpendFailure::PriceLimit
        }
        "NotProxy" | "CallFiltered" | "Unannounced" => SpendFailure::ProxyMisconfigured,
        "ColdkeySwapAnnounced" | "ColdkeySwapDisputed" | "ColdkeyInSwapSchedule" => {
            SpendFailure::ColdkeySwap
        }
        _ => SpendFailure::Other,
    }
}

/// The condition reason for a failure class (`Other` has none of its own).
pub fn reason(f: SpendFailure) -> Option<&'static str> {
    match f {
        SpendFailure::PriceLimit => Some("BurnAboveCap"),
        SpendFailure::ProxyMisconfigured => Some("ProxyMisconfigured"),
        SpendFailure::ColdkeySwap => Some("ColdkeySwapAnnounced"),
        SpendFailure::Other => None,
    }
}

/// The message for a coldkey whose swap is announced on chain.
pub fn coldkey_swap_message(coldkey: &str, executable_at: u64, disputed: bool) -> String {
    let state = if disputed {
        "announced a coldkey swap that is disputed".to_string()
    } else {
        format!("announced a coldkey swap, executable from block {executable_at}")
    };
    format!(
        "coldkey {coldkey} {state}: the chain refuses its calls, so nothing is spent until the swap completes or the announcement is cleared"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_classified() {
        let cases = [
            ("RegistrationPriceLimitExceeded", SpendFailure::PriceLimit),
            ("SlippageTooHigh", SpendFailure::PriceLimit),
            ("PriceLimitExceeded", SpendFailure::PriceLimit),
            ("NotProxy", SpendFailure::ProxyMisconfigured),
            ("CallFiltered", SpendFailure::ProxyMisconfigured),
            ("ColdkeySwapAnnounced", SpendFailure::ColdkeySwap),
            ("ColdkeyInSwapSchedule", SpendFailure::ColdkeySwap),
            ("ColdkeySwapDisputed", SpendFailure::ColdkeySwap),
            ("TooManyRegistrationsThisBlock", SpendFailure::Other),
            ("HotKeyAlreadyRegisteredInSubNet", SpendFailure::Other),
        ];
        for (name, want) in cases {
            assert_eq!(classify(name), want, "{name}");
        }
        assert_eq!(reason(SpendFailure::Other), None);
        assert_eq!(reason(SpendFailure::PriceLimit), Some("BurnAboveCap"));
        let m = coldkey_swap_message("5C", 900, false);
        assert!(
            m.contains("from block 900") && m.contains("nothing is spent"),
            "{m}"
        );
        assert!(coldkey_swap_message("5C", 0, true).contains("disputed"));
    }
}
