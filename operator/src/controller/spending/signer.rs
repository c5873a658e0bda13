//! The key a money job signs with, read from the coldkey Secret when the job runs and dropped
//! when it ends: reconciles only ever hold the Secret's accounts (`wallet::ColdkeyIds`).

use super::Deps;
use crate::chain::{AccountId, Signer};
use crate::controller::wallet::secret_data;
use k8s_openapi::api::core::v1::Secret;
use kube::Api;

/// Which Secret signs, and the accounts the reconcile saw in it (the queue is the signer's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerRef {
    pub namespace: String,
    pub secret: String,
    pub payer: AccountId,
    pub account: AccountId,
}

/// The signer, or why not (a message naming the Secret and key, never a value).
pub async fn load(deps: &Deps, r: &SignerRef) -> Result<Signer, String> {
    let api: Api<Secret> = Api::namespaced(deps.client.clone(), &r.namespace);
    let secret = match api.get_opt(&r.secret).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(format!("coldkey Secret {:?} does not exist", r.secret)),
        Err(e) => {
            return Err(format!(
                "coldkey Secret {:?} could not be read: {e}",
                r.secret
            ))
        }
    };
    // A version that failed before (e.g. a wrong $NACL password) is not decrypted again.
    if let Some(msg) = deps.coldkeys.known_unusable(&secret) {
        return Err(msg);
    }
    let name = r.secret.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        let data = secret_data(&secret);
        let signer =
            crate::keys::parse_coldkey_secret(&name, &data).map(|m| Signer::from(m.signer));
        (secret, signer.map_err(|e| e.to_string()))
    })
    .await;
    let (secret, signer) = match parsed {
        Ok(p) => p,
        Err(_) => {
            return Err(format!(
                "coldkey Secret {:?}: reading the key failed",
                r.secret
            ))
        }
    };
    let signer = signer.inspect_err(|msg| deps.coldkeys.remember_unusable(&secret, msg))?;
    if signer.payer() != r.payer || signer.signer_account() != r.account {
        return Err(format!(
            "coldkey Secret {:?} changed since it was read; looking again",
            r.secret
        ));
    }
    Ok(signer)
}
