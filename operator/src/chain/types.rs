//! Chain-side value types shared by the client, the fake and the operator: accounts, signers,
//! transaction parameters and requests.

use std::fmt;
use std::net::IpAddr;

/// A 32-byte sr25519 public key / AccountId32.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub [u8; 32]);

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", crate::keys::ss58_encode(&self.0))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::keys::ss58_encode(&self.0))
    }
}

impl AccountId {
    pub fn ss58(&self) -> String {
        crate::keys::ss58_encode(&self.0)
    }

    pub fn from_ss58(s: &str) -> Result<Self, crate::keys::KeyError> {
        crate::keys::ss58_decode(s).map(AccountId)
    }
}

/// Serialised as SS58; `0x`-prefixed hex is accepted too (public keys only, for the fake chain's wire).
impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.ss58())
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let s = String::deserialize(d)?;
        if let Some(h) = s.strip_prefix("0x") {
            let bytes: [u8; 32] = hex::decode(h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| D::Error::custom("account: expected 0x + 32 bytes hex"))?;
            return Ok(AccountId(bytes));
        }
        AccountId::from_ss58(&s).map_err(D::Error::custom)
    }
}

/// Who signs an extrinsic that spends from a coldkey.
#[derive(Clone)]
pub enum Signer {
    /// The coldkey itself.
    Key(subxt_signer::sr25519::Keypair),
    /// A proxy key submitting `Proxy.proxy(real, Some(proxy_type), call)`; `real` pays.
    Proxy {
        proxy: subxt_signer::sr25519::Keypair,
        real: AccountId,
    },
}

/// The keys module stays free of chain types; this is its one bridge.
impl From<crate::keys::ColdkeySigner> for Signer {
    fn from(s: crate::keys::ColdkeySigner) -> Self {
        match s {
            crate::keys::ColdkeySigner::Key(k) => Signer::Key(k),
            crate::keys::ColdkeySigner::Proxy { proxy, real } => Signer::Proxy {
                proxy,
                real: AccountId(real),
            },
        }
    }
}

impl Signer {
    /// The account that pays (the coldkey).
    pub fn payer(&self) -> AccountId {
        match self {
            Signer::Key(k) => AccountId(k.public_key().0),
            Signer::Proxy { real, .. } => *real,
        }
    }

    /// The account that signs (and whose nonce is used).
    pub fn signer_account(&self) -> AccountId {
        match self {
            Signer::Key(k) => AccountId(k.public_key().0),
            Signer::Proxy { proxy, .. } => AccountId(proxy.public_key().0),
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signer::Key(_) => write!(f, "Signer::Key({})", self.payer()),
            Signer::Proxy { real, .. } => {
                write!(f, "Signer::Proxy(for {real}, as {})", self.signer_account())
            }
        }
    }
}

/// Nonce and mortality chosen by the caller, so they can be recorded before submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TxParams {
    pub nonce: u64,
    /// Block the mortal era starts at (a recent head).
    pub birth_block: u64,
    /// Mortality period in blocks; the tx cannot be included after `birth_block + period`.
    pub period: u64,
}

impl TxParams {
    pub fn mortal_until(&self) -> u64 {
        self.birth_block + self.period
    }
}

pub struct RegisterRequest<'a> {
    pub netuid: u16,
    pub hotkey: AccountId,
    pub limit_rao: u64,
    pub signer: &'a Signer,
    pub tx: TxParams,
}

/// The price bound of a stake operation, in rao per 1 alpha (the units of
/// `SwapRuntimeApi.current_alpha_price`): a maximum when adding, a minimum when removing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceLimit {
    pub limit_price_rao: u64,
    /// Fill what the limit allows (`allow_partial`) instead of failing with `SlippageTooHigh`.
    pub allow_partial: bool,
}

pub struct StakeRequest<'a> {
    pub netuid: u16,
    pub hotkey: AccountId,
    /// TAO rao to add, or alpha-rao to remove.
    pub amount_rao: u64,
    /// `add_stake_limit` / `remove_stake_limit` where the runtime has them; on older runtimes
    /// the client checks the pool price at the transaction's birth block before signing.
    pub limit: Option<PriceLimit>,
    pub signer: &'a Signer,
    pub tx: TxParams,
}

pub struct ServeAxonRequest<'a> {
    pub netuid: u16,
    pub hotkey: &'a subxt_signer::sr25519::Keypair,
    pub ip: IpAddr,
    pub port: u16,
    pub version: u32,
    pub tx: TxParams,
}

/// A coldkey swap announced on chain (`ColdkeySwapAnnouncements`, HEAD `lib.rs:1445-1455`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColdkeySwap {
    /// The block from which the swap can be executed.
    pub executable_at: u64,
    /// Someone disputed it (`ColdkeySwapDisputes`): every call of the coldkey is refused.
    pub disputed: bool,
}

/// Namespace and name of a Subnet (the chain side knows no Kubernetes types).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubnetKey {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for SubnetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}
