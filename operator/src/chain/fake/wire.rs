//! `Chain` write requests reduced to public keys: what the in-process fake acts on and what
//! crosses the HTTP wire. Key material never leaves the caller.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::dispatch::ip_to_u128;
use super::ledger::{Call, Submission};
use crate::chain::{
    AccountId, ChainError, PriceLimit, RegisterRequest, ServeAxonRequest, Signer, StakeRequest,
    TxParams,
};

/// The signing account and, for a proxy signer, the real account it acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerIds {
    pub signer: AccountId,
    #[serde(default)]
    pub real: Option<AccountId>,
}

impl From<&Signer> for SignerIds {
    fn from(s: &Signer) -> Self {
        SignerIds {
            signer: s.signer_account(),
            real: matches!(s, Signer::Proxy { .. }).then(|| s.payer()),
        }
    }
}

impl SignerIds {
    /// The extrinsic; `proxy_type` is the forced type of `Proxy.proxy` for a proxy signer.
    pub fn submission(&self, tx: TxParams, call: Call, proxy_type: Option<String>) -> Submission {
        Submission {
            signer: self.signer,
            real: self.real,
            proxy_type: self.real.and(proxy_type),
            tx,
            call,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterArgs {
    pub netuid: u16,
    pub hotkey: AccountId,
    pub limit_rao: u64,
    pub signer: SignerIds,
    pub tx: TxParams,
}

impl From<&RegisterRequest<'_>> for RegisterArgs {
    fn from(r: &RegisterRequest<'_>) -> Self {
        RegisterArgs {
            netuid: r.netuid,
            hotkey: r.hotkey,
            limit_rao: r.limit_rao,
            signer: r.signer.into(),
            tx: r.tx,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakeArgs {
    pub netuid: u16,
    pub hotkey: AccountId,
    pub amount_rao: u64,
    #[serde(default)]
    pub limit: Option<PriceLimit>,
    pub signer: SignerIds,
    pub tx: TxParams,
}

impl From<&StakeRequest<'_>> for StakeArgs {
    fn from(r: &StakeRequest<'_>) -> Self {
        StakeArgs {
            netuid: r.netuid,
            hotkey: r.hotkey,
            amount_rao: r.amount_rao,
            limit: r.limit,
            signer: r.signer.into(),
            tx: r.tx,
        }
    }
}

/// `serve_axon` as signed by `hotkey`. `ip_type` overrides the one derived from `ip` (to test
/// the chain's refusal of a bad type).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeArgs {
    pub netuid: u16,
    pub hotkey: AccountId,
    pub ip: IpAddr,
    pub port: u16,
    pub version: u32,
    pub tx: TxParams,
    #[serde(default)]
    pub ip_type: Option<u8>,
}

impl From<&ServeAxonRequest<'_>> for ServeArgs {
    fn from(r: &ServeAxonRequest<'_>) -> Self {
        ServeArgs {
            netuid: r.netuid,
            hotkey: AccountId(r.hotkey.public_key().0),
            ip: r.ip,
            port: r.port,
            version: r.version,
            tx: r.tx,
            ip_type: None,
        }
    }
}

impl ServeArgs {
    pub fn submission(&self) -> Submission {
        let (ip, derived_type) = ip_to_u128(self.ip);
        let call = Call::ServeAxon {
            netuid: self.netuid,
            version: self.version,
            ip,
            port: self.port,
            ip_type: self.ip_type.unwrap_or(derived_type),
            protocol: 4,
        };
        SignerIds {
            signer: self.hotkey,
            real: None,
        }
        .submission(self.tx, call, None)
    }
}

/// The answer to a `Chain` call over HTTP: `{"ok": value}` or `{"err": ChainError}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<T> {
    Ok(T),
    Err(ChainError),
}

impl<T> From<Result<T, ChainError>> for Reply<T> {
    fn from(r: Result<T, ChainError>) -> Self {
        match r {
            Ok(v) => Reply::Ok(v),
            Err(e) => Reply::Err(e),
        }
    }
}

impl<T> From<Reply<T>> for Result<T, ChainError> {
    fn from(r: Reply<T>) -> Self {
        match r {
            Reply::Ok(v) => Ok(v),
            Reply::Err(e) => Err(e),
        }
    }
}

/// Body of the read calls: `snapshot` and `uid_of` take a netuid (and hotkey; `snapshot` the
/// (hotkey, coldkey) pairs whose own stake to read), the account reads an account, `head`
/// nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadArgs {
    #[serde(default)]
    pub netuid: Option<u16>,
    #[serde(default)]
    pub hotkey: Option<AccountId>,
    #[serde(default)]
    pub account: Option<AccountId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stakes: Vec<(AccountId, AccountId)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<u16>,
    #[serde(default)]
    pub mechanisms: u8,
}
