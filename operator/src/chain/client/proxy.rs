//! Proxied calls: which proxy type lets a key make a call for its real account, checked against
//! the account's `Proxy.Proxies` before anything is signed, so a misconfigured proxy is named
//! plainly instead of failing on chain (and paying a fee each time).
//!
//! The filters follow HEAD's `define_proxy_filters!` (`runtime/src/lib.rs:606-755`):
//! `Registration` allows `burned_register`, `register`, `register_limit` (the last since spec
//! 397; spec 218 and 393 allow the first two); `Staking` allows `add_stake`, `remove_stake`,
//! `add_stake_limit`, `remove_stake_limit` (and other stake moves; spec 218 only the first two);
//! `Any` allows everything; `NonTransfer` denies only balance and coldkey-swap calls;
//! `NonCritical` denies `burned_register` (not `register_limit`); `NonFungible` denies every
//! stake call and `burned_register`. The proxy pallet uses the first definition matching the
//! forced type (`pallets/proxy/src/lib.rs:1085-1098`), so the call always names one.

use scale_decode::DecodeAsType;
use subxt::ext::scale_value::Value;

use super::value::variant;
use crate::chain::AccountId;

const REGISTER_CALLS: [&str; 3] = ["burned_register", "register", "register_limit"];
const STAKE_CALLS: [&str; 4] = [
    "add_stake",
    "remove_stake",
    "add_stake_limit",
    "remove_stake_limit",
];

/// Whether a definition of `proxy_type` lets its delegate make `SubtensorModule::call`.
pub fn allows(proxy_type: &str, call: &str) -> bool {
    let register = REGISTER_CALLS.contains(&call);
    let stake = STAKE_CALLS.contains(&call);
    match proxy_type {
        "Any" | "NonTransfer" => true,
        "Registration" => register,
        "Staking" => stake,
        "NonCritical" => call != "burned_register",
        "NonFungible" | "NonFungibile" => !stake && call != "burned_register",
        _ => false,
    }
}

/// One entry of `Proxy.Proxies(real)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyDef {
    pub delegate: AccountId,
    pub proxy_type: String,
    pub delay: u64,
}

/// `Proxies(real)` as stored: `(BoundedVec<ProxyDefinition>, deposit)`.
#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "scale_decode")]
pub struct ProxiesRaw(pub Vec<ProxyDefRaw>, pub u64);

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "scale_decode")]
pub struct ProxyDefRaw {
    delegate: [u8; 32],
    /// The variant name is all that matters; indices differ between runtimes.
    proxy_type: Value<()>,
    delay: u64,
}

impl ProxiesRaw {
    pub fn defs(&self) -> Vec<ProxyDef> {
        self.0
            .iter()
            .map(|d| ProxyDef {
                delegate: AccountId(d.delegate),
                proxy_type: variant(&d.proxy_type)
                    .map_or_else(|| "?".to_string(), |(n, _)| n.to_string()),
                delay: d.delay,
            })
            .collect()
    }
}

/// The proxy type to force for `call`: a delay-free definition of `delegate` that allows it,
/// the specific type first (`preferred`), then `Any`, then the others. Otherwise a message
/// naming what `delegate` has for `real`.
pub fn choose(
    defs: &[ProxyDef],
    delegate: &AccountId,
    real: &AccountId,
    call: &str,
    preferred: &str,
) -> Result<String, String> {
    let mine: Vec<&ProxyDef> = defs.iter().filter(|d| &d.delegate == delegate).collect();
    let usable = |d: &&&ProxyDef| d.delay == 0 && allows(&d.proxy_type, call);
    let order = [preferred, "Any"];
    let pick = order
        .iter()
        .find_map(|t| mine.iter().filter(usable).find(|d| d.proxy_type == *t))
        .or_else(|| mine.iter().find(usable));
    if let Some(d) = pick {
        return Ok(d.proxy_type.clone());
    }
    let has = if mine.is_empty() {
        "no proxy definition".to_string()
    } else {
        let list: Vec<String> = mine
            .iter()
            .map(|d| format!("{} (delay {})", d.proxy_type, d.delay))
            .collect();
        format!("proxy type(s) {}", list.join(", "))
    };
    Err(format!(
        "proxy key {delegate} has {has} for the coldkey {real}; {call} needs a {preferred} (or Any) proxy with delay 0: add one with Proxy.add_proxy from the coldkey"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(b: u8, t: &str, delay: u64) -> ProxyDef {
        ProxyDef {
            delegate: AccountId([b; 32]),
            proxy_type: t.into(),
            delay,
        }
    }

    #[test]
    fn filters_follow_head() {
        let cases = [
            ("Registration", "register_limit", true),
            ("Registration", "burned_register", true),
            ("Registration", "add_stake", false),
            ("Staking", "add_stake_limit", true),
            ("Staking", "remove_stake_limit", true),
            ("Staking", "burned_register", false),
            ("Any", "burned_register", true),
            ("NonTransfer", "add_stake", true),
            ("NonCritical", "burned_register", false),
            ("NonCritical", "register_limit", true),
            ("NonFungible", "add_stake", false),
            ("NonFungible", "register_limit", true),
            ("Owner", "register_limit", false),
            ("Transfer", "add_stake", false),
        ];
        for (t, call, want) in cases {
            assert_eq!(allows(t, call), want, "{t} {call}");
        }
    }

    #[test]
    fn the_right_definition_is_chosen_or_the_problem_named() {
        let (me, real) = (AccountId([1; 32]), AccountId([9; 32]));
        let defs = [
            def(2, "Registration", 0),
            def(1, "Any", 0),
            def(1, "Registration", 0),
        ];
        let ok = |defs: &[ProxyDef], call, pref| choose(defs, &me, &real, call, pref);
        assert_eq!(
            ok(&defs, "register_limit", "Registration").unwrap(),
            "Registration"
        );
        assert_eq!(ok(&defs, "add_stake", "Staking").unwrap(), "Any");
        let staking_only = [def(1, "Staking", 0)];
        let err = ok(&staking_only, "burned_register", "Registration").unwrap_err();
        assert!(err.contains("proxy type(s) Staking (delay 0)"), "{err}");
        assert!(
            err.contains(&real.ss58()) && err.contains(&me.ss58()),
            "{err}"
        );
        let delayed = [def(1, "Registration", 10)];
        let err = ok(&delayed, "burned_register", "Registration").unwrap_err();
        assert!(err.contains("Registration (delay 10)"), "{err}");
        let err = ok(&[], "add_stake", "Staking").unwrap_err();
        assert!(err.contains("no proxy definition"), "{err}");
    }
}
