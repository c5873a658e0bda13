//! Which call to submit, chosen from the runtime's metadata, as plain data.
//!
//! Calls are dynamic (`pallet`, `call`, named fields) so a runtime upgrade that adds fields or
//! moves indices needs no rebuild; choosing between a newer call and its fallback is a pure
//! function of the metadata and is unit-tested against both fixtures.

use std::net::IpAddr;

use subxt::ext::scale_value::{Composite, Value};
use subxt::tx::DynamicPayload;
use subxt::Metadata;

use crate::chain::{AccountId, ChainError, PriceLimit, Signer};

pub const SUBTENSOR: &str = "SubtensorModule";

/// One call with named arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSpec {
    pub pallet: &'static str,
    pub call: &'static str,
    pub fields: Vec<(&'static str, Value)>,
}

impl CallSpec {
    fn new(call: &'static str, fields: Vec<(&'static str, Value)>) -> Self {
        CallSpec {
            pallet: SUBTENSOR,
            call,
            fields,
        }
    }

    /// The subxt payload for signing.
    pub fn payload(&self) -> DynamicPayload<Composite<()>> {
        subxt::dynamic::tx(self.pallet, self.call, self.composite())
    }

    fn composite(&self) -> Composite<()> {
        Composite::named(self.fields.iter().map(|(n, v)| (n.to_string(), v.clone())))
    }

    /// This call as a `RuntimeCall` value (to nest inside `Proxy.proxy`).
    fn as_runtime_call(&self) -> Value {
        Value::unnamed_variant(self.pallet, [Value::variant(self.call, self.composite())])
    }
}

/// Whether the runtime offers `pallet::call`.
pub fn has_call(metadata: &Metadata, pallet: &str, call: &str) -> bool {
    metadata
        .pallet_by_name(pallet)
        .and_then(|p| p.call_variant_by_name(call))
        .is_some()
}

fn account(a: &AccountId) -> Value {
    Value::from_bytes(a.0)
}

/// How a registration is capped on this runtime.
#[derive(Clone, Debug, PartialEq)]
pub enum RegisterPlan {
    /// `register_limit`: the chain refuses atomically when burn > limit.
    Atomic(CallSpec),
    /// `burned_register`: the client must read `Burn` and refuse above the limit first.
    CheckBurnFirst(CallSpec),
}

pub fn register(metadata: &Metadata, netuid: u16, hotkey: &AccountId, limit: u64) -> RegisterPlan {
    let base = vec![
        ("netuid", Value::u128(netuid.into())),
        ("hotkey", account(hotkey)),
    ];
    if has_call(metadata, SUBTENSOR, "register_limit") {
        let mut fields = base;
        fields.push(("limit_price", Value::u128(limit.into())));
        RegisterPlan::Atomic(CallSpec::new("register_limit", fields))
    } else {
        RegisterPlan::CheckBurnFirst(CallSpec::new("burned_register", base))
    }
}

fn stake_fields(
    hotkey: &AccountId,
    netuid: u16,
    amount_field: &'static str,
    amount: u64,
    limit: Option<PriceLimit>,
) -> Vec<(&'static str, Value)> {
    let mut fields = vec![
        ("hotkey", account(hotkey)),
        ("netuid", Value::u128(netuid.into())),
        (amount_field, Value::u128(amount.into())),
    ];
    if let Some(l) = limit {
        fields.push(("limit_price", Value::u128(l.limit_price_rao.into())));
        fields.push(("allow_partial", Value::bool(l.allow_partial)));
    }
    fields
}

/// How a stake operation is price-limited on this runtime.
#[derive(Clone, Debug, PartialEq)]
pub enum StakePlan {
    /// `add_stake_limit` / `remove_stake_limit` (or no limit asked): the chain enforces it.
    Atomic(CallSpec),
    /// The runtime has no `*_limit` call (spec 218): the client must check the pool price at
    /// the birth block against `limit` before signing `add_stake` / `remove_stake`.
    CheckPriceFirst(CallSpec, PriceLimit),
}

/// `add_stake(_limit)` of `amount_rao` TAO; HEAD `macros/dispatches.rs:696-705, 1640-1659`.
pub fn add_stake(
    metadata: &Metadata,
    netuid: u16,
    hotkey: &AccountId,
    amount_rao: u64,
    limit: Option<PriceLimit>,
) -> StakePlan {
    stake_plan(
        metadata,
        "add_stake",
        "amount_staked",
        netuid,
        hotkey,
        amount_rao,
        limit,
    )
}

/// `remove_stake(_limit)` of `amount_rao` alpha; HEAD `macros/dispatches.rs:738-747, 1703-1721`.
pub fn remove_stake(
    metadata: &Metadata,
    netuid: u16,
    hotkey: &AccountId,
    amount_rao: u64,
    limit: Option<PriceLimit>,
) -> StakePlan {
    stake_plan(
        metadata,
        "remove_stake",
        "amount_unstaked",
        netuid,
        hotkey,
        amount_rao,
        limit,
    )
}

fn stake_plan(
    metadata: &Metadata,
    call: &'static str,
    amount_field: &'static str,
    netuid: u16,
    hotkey: &AccountId,
    amount: u64,
    limit: Option<PriceLimit>,
) -> StakePlan {
    let limited: &'static str = if call == "add_stake" {
        "add_stake_limit"
    } else {
        "remove_stake_limit"
    };
    match limit {
        Some(l) if has_call(metadata, SUBTENSOR, limited) => StakePlan::Atomic(CallSpec::new(
            limited,
            stake_fields(hotkey, netuid, amount_field, amount, Some(l)),
        )),
        Some(l) => StakePlan::CheckPriceFirst(
            CallSpec::new(
                call,
                stake_fields(hotkey, netuid, amount_field, amount, None),
            ),
            l,
        ),
        None => StakePlan::Atomic(CallSpec::new(
            call,
            stake_fields(hotkey, netuid, amount_field, amount, None),
        )),
    }
}

/// Whether `SubtensorModule::call` has an argument named `field`.
fn has_field(metadata: &Metadata, call: &str, field: &str) -> bool {
    metadata
        .pallet_by_name(SUBTENSOR)
        .and_then(|p| p.call_variant_by_name(call))
        .is_some_and(|v| v.fields.iter().any(|f| f.name.as_deref() == Some(field)))
}

/// A coldkey's hotkey swap (`old` → `new`, the stake moving with it), in the newest form the
/// runtime has: `swap_hotkey_v2(hotkey, new_hotkey, netuid, keep_stake: false)` (spec ≥ 391,
/// HEAD `macros/dispatches.rs:1055-1067`), else `swap_hotkey(hotkey, new_hotkey[, netuid])`
/// (`:1030-1042`; spec 218 has no `netuid` and always swaps on every subnet, so a swap on one
/// subnet is refused there). Not an operator action (the user swaps, the operator notices):
/// for tools and live tests.
pub fn swap_hotkey(
    metadata: &Metadata,
    old: &AccountId,
    new: &AccountId,
    netuid: Option<u16>,
) -> Result<CallSpec, ChainError> {
    let v2 = has_call(metadata, SUBTENSOR, "swap_hotkey_v2");
    let call = if v2 { "swap_hotkey_v2" } else { "swap_hotkey" };
    let mut fields = vec![("hotkey", account(old)), ("new_hotkey", account(new))];
    if has_field(metadata, call, "netuid") {
        let netuid = match netuid {
            Some(n) => Value::unnamed_variant("Some", [Value::u128(n.into())]),
            None => Value::unnamed_variant("None", []),
        };
        fields.push(("netuid", netuid));
    } else if netuid.is_some() {
        return Err(ChainError::Unsupported(
            "a hotkey swap on one subnet (this runtime swaps on all subnets)".into(),
        ));
    }
    if v2 {
        fields.push(("keep_stake", Value::bool(false)));
    }
    Ok(CallSpec::new(call, fields))
}

/// Why the chain would refuse to serve an axon at `ip:port`, if it would: exactly HEAD's
/// `validate_serve_axon` address rules (`pallets/subtensor/src/subnets/serving.rs:248-277`):
/// IPv4 127.0.0.1 and 255.255.255.255, IPv6 ::1 and all-ones, port 0. Every other address,
/// other loopback (127.0.0.2) and private ranges included, is accepted, and so is 0 ("for
/// testing", `:309-310`).
pub fn axon_address_error(ip: IpAddr, port: u16) -> Option<String> {
    let refused = match ip {
        IpAddr::V4(v4) => {
            let n = u32::from(v4);
            n == u32::MAX || v4 == std::net::Ipv4Addr::LOCALHOST
        }
        IpAddr::V6(v6) => {
            let n = u128::from(v6);
            n == u128::MAX || n == 1
        }
    };
    if refused {
        return Some(format!(
            "the chain refuses the axon address {ip} (InvalidIpAddress)"
        ));
    }
    (port == 0).then(|| "the chain refuses axon port 0 (InvalidPort)".to_string())
}

/// `serve_axon`; refuses what the chain would refuse before dispatch ([`axon_address_error`]).
pub fn serve_axon(
    netuid: u16,
    version: u32,
    ip: IpAddr,
    port: u16,
) -> Result<CallSpec, ChainError> {
    if let Some(e) = axon_address_error(ip, port) {
        return Err(ChainError::Other(e));
    }
    let (ip_num, ip_type): (u128, u8) = match ip {
        IpAddr::V4(v4) => (u32::from(v4).into(), 4),
        IpAddr::V6(v6) => (u128::from(v6), 6),
    };
    let u = |n: u128| Value::u128(n);
    Ok(CallSpec::new(
        "serve_axon",
        vec![
            ("netuid", u(netuid.into())),
            ("version", u(version.into())),
            ("ip", u(ip_num)),
            ("port", u(port.into())),
            ("ip_type", u(ip_type.into())),
            // Not validated by the chain (docs: TCP 0, UDP 1); 4 is what the SDK sends.
            ("protocol", u(4)),
            ("placeholder1", u(0)),
            ("placeholder2", u(0)),
        ],
    ))
}

/// The proxy type a proxied call is made under, preferably (see `proxy::choose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    Registration,
    Staking,
}

impl ProxyKind {
    pub fn name(self) -> &'static str {
        match self {
            ProxyKind::Registration => "Registration",
            ProxyKind::Staking => "Staking",
        }
    }
}

/// The call as the signer must submit it: as is for a coldkey, wrapped in
/// `Proxy.proxy(real, Some(proxy_type), call)` for a proxy key (the type chosen by
/// `proxy::choose` from the real account's proxy definitions).
pub fn for_signer(call: CallSpec, signer: &Signer, proxy_type: &str) -> CallSpec {
    match signer {
        Signer::Key(_) => call,
        Signer::Proxy { real, .. } => CallSpec {
            pallet: "Proxy",
            call: "proxy",
            fields: vec![
                ("real", Value::unnamed_variant("Id", [account(real)])),
                (
                    "force_proxy_type",
                    Value::unnamed_variant(
                        "Some",
                        [Value::unnamed_variant(proxy_type.to_string(), [])],
                    ),
                ),
                ("call", call.as_runtime_call()),
            ],
        },
    }
}
