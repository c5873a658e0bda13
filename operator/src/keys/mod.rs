//! Wallet formats: SS58 addresses, mnemonic/seed/btcli keyfile/$NACL parsing, hotkey generation.
//! Secret material is zeroized on drop and never printed: `Debug` shows addresses only, and
//! errors name the Secret (or file) and key with a fixed reason, never any byte of the value.
//!
//! This is a leaf module (no `crate::chain`, no Kubernetes types): the controller turns a
//! Secret's `.data` into [`SecretData`] and the chain client turns [`ColdkeySigner`] into its
//! own signer type.

mod keyfile;
mod material;
mod nacl;
mod secret;
mod ss58;
#[cfg(test)]
mod tests;

pub use keyfile::{parse_keyfile, public_keyfile_json};
pub use material::{generate_hotkey, ColdkeyMaterial, ColdkeySigner, HotkeyMaterial};
pub use nacl::{ARGON2I_MEMLIMIT_SENSITIVE, ARGON2I_OPSLIMIT_SENSITIVE, NACL_SALT};
pub use secret::{parse_coldkey_secret, parse_hotkey_secret, proxy_account};
pub use ss58::*;

/// A Kubernetes Secret's `.data`, base64-decoded (key → bytes).
pub type SecretData = std::collections::BTreeMap<String, Vec<u8>>;

/// Why key material could not be used. Names the Secret and key, never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A public address given directly (e.g. on the command line); it is not secret.
    #[error("invalid SS58 address: {0}")]
    InvalidSs58(String),
    /// A value that is present but unusable.
    #[error("{origin}, key {key:?}: {reason}")]
    Invalid {
        /// `Secret "name"` or `file "path"`.
        origin: String,
        key: String,
        reason: Reason,
    },
    /// None of the keys that carry key material is present.
    #[error("{origin}: missing key: expected one of {expected}")]
    Missing {
        origin: String,
        expected: &'static str,
    },
    /// The OS random source failed while generating a key.
    #[error("key generation failed: {0}")]
    Generate(&'static str),
}

/// What is wrong with a value. Fixed texts only, so an error can never echo secret bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("empty value")]
    Empty,
    #[error("not valid UTF-8")]
    NotUtf8,
    #[error("not valid JSON (expected a btcli keyfile)")]
    NotJson,
    #[error("not valid hex (expected 0x followed by hex digits)")]
    NotHex,
    #[error("wrong length (expected {0} bytes)")]
    WrongLength(usize),
    #[error("not a valid BIP39 mnemonic (unknown word, word count or checksum)")]
    BadMnemonic,
    #[error("not a valid SS58 address")]
    BadSs58,
    #[error("keyfile has no secretPhrase or secretSeed")]
    NoSecret,
    #[error(
        "keyfile has only privateKey, which cannot be loaded; provide secretPhrase or secretSeed"
    )]
    PrivateKeyOnly,
    #[error("derived key does not match the keyfile's {0}")]
    PublicMismatch(&'static str),
    #[error("keyfile is encrypted and no password was given")]
    NeedsPassword,
    #[error("wrong password or corrupted")]
    WrongPassword,
    #[error("truncated $NACL data")]
    Truncated,
    #[error("unsupported keyfile encryption (only $NACL is supported)")]
    UnsupportedEncryption,
    #[error("the key derivation could not run ({0})")]
    Kdf(&'static str),
}

impl KeyError {
    /// Short stable name for metric labels and condition reasons.
    pub fn label(&self) -> &'static str {
        match self {
            KeyError::InvalidSs58(_) => "invalid_ss58",
            KeyError::Missing { .. } => "missing_key",
            KeyError::Generate(_) => "generate",
            KeyError::Invalid { reason, .. } => match reason {
                Reason::WrongPassword | Reason::NeedsPassword => "wrong_password",
                _ => "invalid_key",
            },
        }
    }

    pub(crate) fn invalid(origin: &str, key: &str, reason: Reason) -> Self {
        KeyError::Invalid {
            origin: origin.to_string(),
            key: key.to_string(),
            reason,
        }
    }
}
