//! Wallet formats: SS58 addresses, mnemonic/seed/btcli keyfile/$NACL parsing, hotkey generation.
//! Secret material is zeroized on drop and never printed.

mod ss58;

pub use ss58::*;

/// Why key material could not be used. Names the Secret and key, never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("invalid SS58 address: {0}")]
    InvalidSs58(String),
}
