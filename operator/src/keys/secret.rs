//! Hotkey and coldkey Secrets (see API.md "Secrets"): which keys count, in which order.

use super::keyfile::load_keyfile;
use super::material::{keypair_from_seed, parse_hex32, parse_mnemonic};
use super::{
    ss58_decode, ColdkeyMaterial, ColdkeySigner, HotkeyMaterial, KeyError, Reason, SecretData,
};
use subxt_signer::sr25519::Keypair;

const HOTKEY_KEYS: &str = "hotkey, mnemonic, seed";
const COLDKEY_KEYS: &str = "mnemonic, seed, coldkey, proxy-mnemonic + real, proxy-seed + real";

/// A hotkey Secret: `hotkey` (btcli keyfile), else `mnemonic`, else `seed`.
pub fn parse_hotkey_secret(
    secret_name: &str,
    data: &SecretData,
) -> Result<HotkeyMaterial, KeyError> {
    let loaded = hotkey_from(&origin(secret_name), data);
    log_outcome(secret_name, "hotkey", loaded.as_ref().map(|h| h.ss58()));
    loaded
}

fn hotkey_from(origin: &str, data: &SecretData) -> Result<HotkeyMaterial, KeyError> {
    let origin = origin.to_string();
    if let Some(bytes) = data.get("hotkey") {
        // An encrypted hotkey could not run unattended in a pod: no password here.
        load_keyfile(&origin, "hotkey", bytes, None)
    } else if let Some(bytes) = data.get("mnemonic") {
        let m = parse_mnemonic(text(&origin, "mnemonic", bytes)?)
            .map_err(|r| KeyError::invalid(&origin, "mnemonic", r))?;
        Ok(HotkeyMaterial::from_mnemonic(&m))
    } else if let Some(bytes) = data.get("seed") {
        let mini = parse_hex32(text(&origin, "seed", bytes)?)
            .map_err(|r| KeyError::invalid(&origin, "seed", r))?;
        Ok(HotkeyMaterial::from_seed(&mini))
    } else {
        Err(KeyError::Missing {
            origin,
            expected: HOTKEY_KEYS,
        })
    }
}

/// A coldkey Secret: `mnemonic`, else `seed`, else `coldkey` (+ `password` if encrypted),
/// else a proxy (`proxy-mnemonic` or `proxy-seed`, plus `real`). A `$NACL` coldkey takes
/// seconds and 512 MiB to decrypt: parse once and keep the result.
pub fn parse_coldkey_secret(
    secret_name: &str,
    data: &SecretData,
) -> Result<ColdkeyMaterial, KeyError> {
    let loaded = coldkey_from(&origin(secret_name), data);
    log_outcome(
        secret_name,
        "coldkey",
        loaded.as_ref().map(|c| c.coldkey_ss58()),
    );
    loaded
}

fn coldkey_from(origin: &str, data: &SecretData) -> Result<ColdkeyMaterial, KeyError> {
    let origin = origin.to_string();
    let signer = if let Some(kp) = direct_key(&origin, data, "mnemonic", "seed")? {
        ColdkeySigner::Key(kp)
    } else if let Some(bytes) = data.get("coldkey") {
        let password = match data.get("password") {
            // Secrets made from files often end in a newline that is not part of the password.
            Some(p) => Some(
                std::str::from_utf8(p)
                    .map_err(|_| KeyError::invalid(&origin, "password", Reason::NotUtf8))?
                    .trim_end_matches(['\n', '\r']),
            ),
            None => None,
        };
        load_keyfile(&origin, "coldkey", bytes, password)?.into_signer()
    } else if let Some(proxy) = direct_key(&origin, data, "proxy-mnemonic", "proxy-seed")? {
        let real = data.get("real").ok_or_else(|| KeyError::Missing {
            origin: origin.clone(),
            expected: "real (the coldkey's ss58, required with a proxy key)",
        })?;
        let real = ss58_decode(text(&origin, "real", real)?.trim())
            .map_err(|_| KeyError::invalid(&origin, "real", Reason::BadSs58))?;
        ColdkeySigner::Proxy { proxy, real }
    } else {
        return Err(KeyError::Missing {
            origin,
            expected: COLDKEY_KEYS,
        });
    };
    Ok(ColdkeyMaterial { signer })
}

/// The proxy key's public key when the coldkey Secret signs through a proxy (it has none of
/// `mnemonic`, `seed`, `coldkey`, which take precedence). Cheap: nothing is decrypted.
/// `Ok(None)`: the coldkey signs for itself.
pub fn proxy_account(secret_name: &str, data: &SecretData) -> Result<Option<[u8; 32]>, KeyError> {
    if ["mnemonic", "seed", "coldkey"]
        .iter()
        .any(|k| data.contains_key(*k))
    {
        return Ok(None);
    }
    let proxy = direct_key(&origin(secret_name), data, "proxy-mnemonic", "proxy-seed")?;
    Ok(proxy.map(|k| k.public_key().0))
}

/// A keypair from the `mnemonic_key` (preferred) or `seed_key` entry, if either is present.
fn direct_key(
    origin: &str,
    data: &SecretData,
    mnemonic_key: &str,
    seed_key: &str,
) -> Result<Option<Keypair>, KeyError> {
    if let Some(bytes) = data.get(mnemonic_key) {
        let m = parse_mnemonic(text(origin, mnemonic_key, bytes)?)
            .map_err(|r| KeyError::invalid(origin, mnemonic_key, r))?;
        return subxt_signer::sr25519::Keypair::from_phrase(&m, None)
            .map(Some)
            .map_err(|_| KeyError::invalid(origin, mnemonic_key, Reason::BadMnemonic));
    }
    if let Some(bytes) = data.get(seed_key) {
        let mini = parse_hex32(text(origin, seed_key, bytes)?)
            .map_err(|r| KeyError::invalid(origin, seed_key, r))?;
        return Ok(Some(keypair_from_seed(&mini)));
    }
    Ok(None)
}

/// A value as non-empty UTF-8 text.
fn text<'a>(origin: &str, key: &str, bytes: &'a [u8]) -> Result<&'a str, KeyError> {
    let s =
        std::str::from_utf8(bytes).map_err(|_| KeyError::invalid(origin, key, Reason::NotUtf8))?;
    if s.trim().is_empty() {
        return Err(KeyError::invalid(origin, key, Reason::Empty));
    }
    Ok(s)
}

/// Addresses and fixed-text errors only: both are safe to log.
fn log_outcome(secret_name: &str, kind: &str, outcome: Result<String, &KeyError>) {
    match outcome {
        Ok(ss58) => tracing::debug!(secret = secret_name, kind, %ss58, "loaded key"),
        Err(e) => tracing::debug!(secret = secret_name, kind, error = %e, "unusable key Secret"),
    }
}

fn origin(secret_name: &str) -> String {
    format!("Secret {secret_name:?}")
}
