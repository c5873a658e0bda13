//! Lists for decisions that need every object of a selection (a NeuronSet's members: their spends
//! and intents): an undecodable one is named in the error instead of failing the list with a bare
//! serde message, and nothing is decided on the partial view.

use super::decode::{DecodeError, Decoded};
use crate::controller::error::Result;
use kube::api::ListParams;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// One object of a selection that does not decode.
#[derive(Debug, thiserror::Error)]
#[error("{kind} {name} cannot be read ({error}): waiting until it is fixed")]
pub struct Unreadable {
    pub kind: String,
    pub name: String,
    pub error: DecodeError,
}

/// Every object of the selection, or the first that does not decode.
pub fn all_valid<K: Resource<DynamicType = ()>>(
    items: Vec<Decoded<K>>,
) -> Result<Vec<K>, Unreadable> {
    items
        .into_iter()
        .map(|d| match d {
            Decoded::Valid(k) => Ok(k),
            Decoded::Invalid(u) => Err(Unreadable {
                kind: K::kind(&()).into(),
                name: u.meta.name.unwrap_or_default(),
                error: u.error,
            }),
        })
        .collect()
}

/// `Api::<K>::namespaced(client, ns).list(lp)`, or the error naming the first object that does
/// not decode.
pub async fn every<K>(client: &Client, ns: &str, lp: &ListParams) -> Result<Vec<K>>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let api: Api<Decoded<K>> = Api::namespaced(client.clone(), ns);
    Ok(all_valid(api.list(lp).await?.items)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Neuron;
    use crate::controller::lenient::decode::decode;
    use serde_json::json;

    #[test]
    fn the_first_undecodable_member_is_named() {
        let n = |name: &str, role: &str| -> Decoded<Neuron> {
            decode(json!({"metadata": {"name": name, "namespace": "a"},
                          "spec": {"subnet": "sn", "role": role, "image": "i"}}))
        };
        assert_eq!(
            all_valid(vec![n("a", "miner"), n("b", "validator")])
                .unwrap()
                .len(),
            2
        );
        let err = all_valid(vec![n("a", "miner"), n("b", "boss")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Neuron b cannot be read (spec.role: unknown variant `boss`, expected `miner` or \
             `validator`): waiting until it is fixed"
        );
    }
}
