//! Loading key files for the CLI (formats are the keys module's). Errors name the file and
//! the environment variable, never their content.

use std::path::Path;

use anyhow::Context;
use subxt_signer::sr25519::Keypair;
use zeroize::Zeroizing;

use super::SignerArgs;
use crate::chain::{AccountId, Signer};

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read key file {}", path.display()))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicFields {
    ss58_address: Option<String>,
    account_id: Option<String>,
}

/// The public key of a btcli keyfile or its `pub.txt`; falls back to loading the secret
/// (e.g. an encrypted file) when no public field is present.
pub fn public_key(path: &Path, password_env: Option<&str>) -> anyhow::Result<AccountId> {
    let bytes = read(path)?;
    if let Ok(p) = serde_json::from_slice::<PublicFields>(&bytes) {
        if let Some(s) = p.ss58_address {
            return AccountId::from_ss58(&s)
                .with_context(|| format!("{}: ss58Address", path.display()));
        }
        if let Some(hex_id) = p.account_id {
            let raw = hex::decode(hex_id.trim_start_matches("0x")).ok();
            let arr: Option<[u8; 32]> = raw.and_then(|r| r.try_into().ok());
            return arr
                .map(AccountId)
                .with_context(|| format!("{}: accountId is not 32 bytes of hex", path.display()));
        }
    }
    keypair(path, password_env).map(|k| AccountId(k.public_key().0))
}

/// The password from the named environment variable (its value is never printed).
fn password(var: Option<&str>) -> anyhow::Result<Option<Zeroizing<String>>> {
    var.map(|v| {
        std::env::var(v)
            .map(Zeroizing::new)
            .with_context(|| format!("environment variable {v} (--password-env) is not set"))
    })
    .transpose()
}

/// The sr25519 key of a btcli keyfile (plain or `$NACL`-encrypted).
pub fn keypair(path: &Path, password_env: Option<&str>) -> anyhow::Result<Keypair> {
    let bytes = Zeroizing::new(read(path)?);
    let pw = password(password_env)?;
    let name = path.display().to_string();
    let material = crate::keys::parse_keyfile(&name, &bytes, pw.as_ref().map(|p| p.as_str()))?;
    Ok(material.keypair().clone())
}

pub fn signer(args: &SignerArgs) -> anyhow::Result<Signer> {
    let key = keypair(&args.coldkey_file, args.password_env.as_deref())?;
    Ok(match &args.proxy_for {
        None => Signer::Key(key),
        Some(real) => Signer::Proxy {
            proxy: key,
            real: super::parse_ss58(real)?,
        },
    })
}
