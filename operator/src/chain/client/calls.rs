//! Which call to submit, chosen from the runtime's metadata, as plain data.
//!
//! Calls are dynamic (`pallet`, `call`, named fields) so a runtime upgrade that adds fields or
//! moves indices needs no rebuild; choosing between a newer call and its fallback is a pure
//! function of the metadata and is unit-tested against both fixtures.

use std::net::IpAddr;

use subxt::ext::scale_value::{Composite, Value};
use subxt::tx::DynamicPayload;
use subxt::Metadata;

use crate::chain::{AccountId, ChainError, Signer};

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

pub fn add_stake(netuid: u16, hotkey: &AccountId, amount_rao: u64) -> CallSpec {
    CallSpec::new(
        "add_stake",
        vec![
            ("hotkey", account(hotkey)),
            ("netuid", Value::u128(netuid.into())),
            ("amount_staked", Value::u128(amount_rao.into())),
        ],
    )
}

pub fn remove_stake(netuid: u16, hotkey: &AccountId, amount_rao: u64) -> CallSpec {
    CallSpec::new(
        "remove_stake",
        vec![
            ("hotkey", account(hotkey)),
            ("netuid", Value::u128(netuid.into())),
            ("amount_unstaked", Value::u128(amount_rao.into())),
        ],
    )
}

/// `serve_axon`; rejects what the chain would reject before dispatch (loopback, port 0).
pub fn serve_axon(
    netuid: u16,
    version: u32,
    ip: IpAddr,
    port: u16,
) -> Result<CallSpec, ChainError> {
    let (ip_num, ip_type): (u128, u8) = match ip {
        IpAddr::V4(v4) if v4.is_loopback() || v4.is_unspecified() => {
            return Err(ChainError::Other(format!("axon ip {ip} is not routable")))
        }
        IpAddr::V4(v4) => (u32::from(v4).into(), 4),
        IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => {
            return Err(ChainError::Other(format!("axon ip {ip} is not routable")))
        }
        IpAddr::V6(v6) => (u128::from(v6), 6),
    };
    if port == 0 {
        return Err(ChainError::Other("axon port 0".into()));
    }
    let u = |n: u128| Value::u128(n);
    Ok(CallSpec::new(
        "serve_axon",
        vec![
            ("netuid", u(netuid.into())),
            ("version", u(version.into())),
            ("ip", u(ip_num)),
            ("port", u(port.into())),
            ("ip_type", u(ip_type.into())),
            ("protocol", u(4)),
            ("placeholder1", u(0)),
            ("placeholder2", u(0)),
        ],
    ))
}

/// Which proxy type a proxied call needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    Registration,
    Staking,
}

impl ProxyKind {
    fn name(self) -> &'static str {
        match self {
            ProxyKind::Registration => "Registration",
            ProxyKind::Staking => "Staking",
        }
    }
}

/// The call as the signer must submit it: as is for a coldkey, wrapped in
/// `Proxy.proxy(real, Some(kind), call)` for a proxy key.
pub fn for_signer(call: CallSpec, signer: &Signer, kind: ProxyKind) -> CallSpec {
    match signer {
        Signer::Key(_) => call,
        Signer::Proxy { real, .. } => CallSpec {
            pallet: "Proxy",
            call: "proxy",
            fields: vec![
                ("real", Value::unnamed_variant("Id", [account(real)])),
                (
                    "force_proxy_type",
                    Value::unnamed_variant("Some", [Value::unnamed_variant(kind.name(), [])]),
                ),
                ("call", call.as_runtime_call()),
            ],
        },
    }
}
