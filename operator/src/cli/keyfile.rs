//! Loading key files for the CLI. TEMPORARY until the keys module lands on main.

use std::path::Path;

use subxt_signer::sr25519::Keypair;

use super::SignerArgs;
use crate::chain::{AccountId, Signer};

pub fn public_key(_path: &Path, _password_env: Option<&str>) -> anyhow::Result<AccountId> {
    anyhow::bail!("key loading arrives with the keys module")
}

pub fn keypair(_path: &Path, _password_env: Option<&str>) -> anyhow::Result<Keypair> {
    anyhow::bail!("key loading arrives with the keys module")
}

pub fn signer(_args: &SignerArgs) -> anyhow::Result<Signer> {
    anyhow::bail!("key loading arrives with the keys module")
}
