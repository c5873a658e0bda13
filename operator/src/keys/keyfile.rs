//! btcli keyfiles: JSON with secretPhrase / secretSeed / privateKey and the public fields,
//! optionally `$NACL`-encrypted.

use super::material::{parse_hex32, parse_mnemonic, HotkeyMaterial};
use super::nacl::{self, Encryption};
use super::{ss58_encode, KeyError, Reason};
use serde::Deserialize;
use zeroize::Zeroize;

/// Loads a btcli keyfile from disk bytes (CLI `--hotkey-file` / `--coldkey-file`).
/// `password` is needed only for `$NACL` files; decrypting one takes seconds and 512 MiB.
pub fn parse_keyfile(
    name: &str,
    bytes: &[u8],
    password: Option<&str>,
) -> Result<HotkeyMaterial, KeyError> {
    load_keyfile(&format!("file {name:?}"), "contents", bytes, password)
}

/// The public-only keyfile btcli writes as `coldkeypub.txt` and `hotkeys/<name>pub.txt`.
pub fn public_keyfile_json(public: &[u8; 32]) -> String {
    let pk = hex::encode(public);
    format!(
        "{{\"accountId\":\"0x{pk}\",\"publicKey\":\"0x{pk}\",\"ss58Address\":\"{}\"}}",
        ss58_encode(public)
    )
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Keyfile {
    secret_phrase: Option<String>,
    secret_seed: Option<String>,
    private_key: Option<String>,
    public_key: Option<String>,
    account_id: Option<String>,
    ss58_address: Option<String>,
}

impl Drop for Keyfile {
    fn drop(&mut self) {
        self.secret_phrase.zeroize();
        self.secret_seed.zeroize();
        self.private_key.zeroize();
    }
}

/// `origin`/`key` name where the bytes came from, for errors.
pub(super) fn load_keyfile(
    origin: &str,
    key: &str,
    bytes: &[u8],
    password: Option<&str>,
) -> Result<HotkeyMaterial, KeyError> {
    let err = |field: &str, reason| KeyError::invalid(origin, &sub(key, field), reason);
    let plain;
    let bytes = match nacl::encryption_of(bytes) {
        Encryption::None => bytes,
        Encryption::Other => return Err(err("", Reason::UnsupportedEncryption)),
        Encryption::Nacl => {
            let password = password.ok_or_else(|| err("", Reason::NeedsPassword))?;
            plain = nacl::decrypt(bytes, password).map_err(|r| err("", r))?;
            &plain[..]
        }
    };
    let text = std::str::from_utf8(bytes).map_err(|_| err("", Reason::NotUtf8))?;
    if text.trim().is_empty() {
        return Err(err("", Reason::Empty));
    }
    let kf: Keyfile = serde_json::from_str(text).map_err(|_| err("", Reason::NotJson))?;

    // btcli's order: the phrase, then the seed, then the expanded private key.
    let material = if let Some(phrase) = present(&kf.secret_phrase) {
        let m = parse_mnemonic(phrase).map_err(|r| err("secretPhrase", r))?;
        HotkeyMaterial::from_mnemonic(&m)
    } else if let Some(seed) = present(&kf.secret_seed) {
        let mini = parse_hex32(seed).map_err(|r| err("secretSeed", r))?;
        HotkeyMaterial::from_seed(&mini)
    } else if present(&kf.private_key).is_some() {
        // subxt-signer builds keypairs only from a mini secret, which the 64-byte expanded
        // key does not contain.
        return Err(err("privateKey", Reason::PrivateKeyOnly));
    } else {
        return Err(err("", Reason::NoSecret));
    };
    check_public(&kf, &material).map_err(|field| err(field, Reason::PublicMismatch(field)))?;
    Ok(material)
}

/// A corrupted or hand-edited keyfile whose public fields disagree with its secret would sign
/// as a different account than the one shown: refuse it.
fn check_public(kf: &Keyfile, m: &HotkeyMaterial) -> Result<(), &'static str> {
    let public = m.public();
    for (field, value) in [("publicKey", &kf.public_key), ("accountId", &kf.account_id)] {
        if let Some(v) = present(value) {
            if parse_hex32(v).map(|pk| *pk != public).unwrap_or(true) {
                return Err(field);
            }
        }
    }
    match present(&kf.ss58_address) {
        Some(a) if a.trim() != m.ss58() => Err("ss58Address"),
        _ => Ok(()),
    }
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

fn sub(key: &str, field: &str) -> String {
    if field.is_empty() {
        key.to_string()
    } else {
        format!("{key}.{field}")
    }
}
