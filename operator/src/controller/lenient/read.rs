//! Reads for decisions: an object that does not decode is named in the error (reported on itself
//! by its watch) instead of a bare serde message that names neither the object nor the field and
//! may quote its values. Nothing is decided on a partial view: a NeuronSet needs every member's
//! spends and intents, a Neuron its Subnet.

use super::decode::{DecodeError, Decoded};
use crate::controller::error::Result;
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

/// The typed object, or the error naming it.
pub fn valid<K: Resource<DynamicType = ()>>(d: Decoded<K>) -> Result<K, Unreadable> {
    match d {
        Decoded::Valid(k) => Ok(k),
        Decoded::Invalid(u) => Err(Unreadable {
            kind: K::kind(&()).into(),
            name: u.meta.name.unwrap_or_default(),
            error: u.error,
        }),
    }
}

/// `Api::<K>::namespaced(client, ns).get_opt(name)`, or the error naming it when it does not
/// decode.
pub async fn one<K>(client: &Client, ns: &str, name: &str) -> Result<Option<K>>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let api: Api<Decoded<K>> = Api::namespaced(client.clone(), ns);
    Ok(api.get_opt(name).await?.map(valid).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Neuron;
    use crate::controller::lenient::decode::decode;
    use serde_json::json;

    #[test]
    fn an_undecodable_object_is_named() {
        let n = |name: &str, role: &str| -> Decoded<Neuron> {
            decode(json!({"metadata": {"name": name, "namespace": "a"},
                          "spec": {"subnet": "sn", "role": role, "image": "i"}}))
        };
        assert!(valid(n("a", "miner")).is_ok());
        let err = valid(n("b", "boss")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Neuron b cannot be read (spec.role: unknown variant `boss`, expected `miner` or \
             `validator`): waiting until it is fixed"
        );
    }
}
