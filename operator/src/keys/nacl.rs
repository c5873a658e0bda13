//! btcli `$NACL` keyfile decryption: `$NACL` ‖ 24-byte nonce ‖ NaCl secretbox (XSalsa20-Poly1305,
//! tag first) under a key from libsodium `crypto_pwhash` argon2i13 with the "sensitive" limits.
//!
//! Cost: each decryption runs Argon2i over 512 MiB of memory, 8 passes (seconds of CPU).
//! Decryptions are serialised process-wide so concurrent reconciles cannot multiply that memory;
//! callers should decrypt once and keep the result.

use super::Reason;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Fixed salt bittensor-wallet uses for every `$NACL` keyfile.
pub const NACL_SALT: [u8; 16] = [
    0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1,
];
/// libsodium `crypto_pwhash_argon2i_OPSLIMIT_SENSITIVE` (Argon2 passes).
pub const ARGON2I_OPSLIMIT_SENSITIVE: u32 = 8;
/// libsodium `crypto_pwhash_argon2i_MEMLIMIT_SENSITIVE` in bytes (512 MiB).
pub const ARGON2I_MEMLIMIT_SENSITIVE: u32 = 536_870_912;

const MAGIC: &[u8] = b"$NACL";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

static KDF_LOCK: Mutex<()> = Mutex::new(());

/// How a keyfile's bytes are stored.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Encryption {
    None,
    Nacl,
    /// Ansible vault or the legacy Fernet format: not supported.
    Other,
}

pub(super) fn encryption_of(bytes: &[u8]) -> Encryption {
    if bytes.starts_with(MAGIC) {
        Encryption::Nacl
    } else if bytes.starts_with(b"$ANSIBLE_VAULT") || bytes.starts_with(b"gAAAAA") {
        Encryption::Other
    } else {
        Encryption::None
    }
}

/// Decrypts a `$NACL` keyfile. `bytes` must start with `$NACL`.
pub(super) fn decrypt(bytes: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, Reason> {
    let body = bytes
        .strip_prefix(MAGIC)
        .ok_or(Reason::UnsupportedEncryption)?;
    if body.len() < NONCE_LEN + TAG_LEN {
        return Err(Reason::Truncated);
    }
    let (nonce, sealed) = body.split_at(NONCE_LEN);
    tracing::debug!("deriving $NACL key (Argon2i, 512 MiB, 8 passes)");
    let key = derive_key(password)?;
    let cipher = XSalsa20Poly1305::new(Key::from_slice(&key[..]));
    cipher
        .decrypt(Nonce::from_slice(nonce), sealed)
        .map(Zeroizing::new)
        .map_err(|_| Reason::WrongPassword)
}

fn derive_key(password: &str) -> Result<Zeroizing<[u8; 32]>, Reason> {
    let params = Params::new(
        ARGON2I_MEMLIMIT_SENSITIVE / 1024, // argon2 counts KiB; libsodium counts bytes
        ARGON2I_OPSLIMIT_SENSITIVE,
        1, // libsodium's argon2i is single-lane
        Some(32),
    )
    .map_err(|_| Reason::Kdf("parameters"))?;
    let blocks = params.block_count();
    let argon = Argon2::new(Algorithm::Argon2i, Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    // A poisoned lock only means another decryption panicked; the guard protects no data.
    let _guard = KDF_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // Our own buffer so the password-derived state is wiped, not just freed.
    let mut memory = Zeroizing::new(vec![Block::default(); blocks]);
    argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            &NACL_SALT,
            &mut key[..],
            &mut memory[..],
        )
        .map_err(|_| Reason::Kdf("argon2"))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        for (bytes, want) in [
            (&b"$NACLxyz"[..], Encryption::Nacl),
            (b"$ANSIBLE_VAULT;1.1", Encryption::Other),
            (b"gAAAAAbc", Encryption::Other),
            (b"{\"secretPhrase\":1}", Encryption::None),
        ] {
            assert_eq!(encryption_of(bytes), want);
        }
    }

    #[test]
    fn short_body_is_truncated_without_running_the_kdf() {
        assert_eq!(
            decrypt(b"$NACL0123456789", "pw").unwrap_err(),
            Reason::Truncated
        );
    }
}
