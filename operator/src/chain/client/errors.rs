//! Mapping subxt / RPC failures onto [`ChainError`].
//!
//! The one distinction that matters to the connection is transport vs everything else: a
//! transport failure drops the connection so the next request fails over to the next
//! endpoint. Messages come from subxt and the node, which never see key material.

use subxt::ext::jsonrpsee::core::ClientError;

use crate::chain::ChainError;

/// Whether `err` (or any error it wraps) is a lost or unusable connection.
pub fn is_transport(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(rpc) = e.downcast_ref::<subxt::rpcs::Error>() {
            match rpc {
                subxt::rpcs::Error::DisconnectedWillReconnect(_) => return true,
                subxt::rpcs::Error::Client(inner) => {
                    return match inner.downcast_ref::<ClientError>() {
                        // The node answered with a JSON-RPC error: the connection is fine.
                        Some(ClientError::Call(_)) => false,
                        _ => true,
                    };
                }
                _ => return false,
            }
        }
        if let Some(c) = e.downcast_ref::<ClientError>() {
            return !matches!(c, ClientError::Call(_));
        }
        cur = e.source();
    }
    false
}

/// Map a subxt error: transport failures become `Unreachable`, the rest `Other`.
pub fn map<E: std::error::Error + 'static>(endpoint: &str, err: E) -> ChainError {
    if is_transport(&err) {
        ChainError::Unreachable(format!("{endpoint}: {err}"))
    } else {
        ChainError::Other(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subxt::ext::jsonrpsee::types::ErrorObject;

    #[test]
    fn transport_errors_are_told_from_node_answers() {
        let closed = subxt::rpcs::Error::Client(Box::new(ClientError::RestartNeeded(
            std::sync::Arc::new(ClientError::Custom("closed".into())),
        )));
        assert!(is_transport(&closed));
        let answered = subxt::rpcs::Error::Client(Box::new(ClientError::Call(ErrorObject::owned(
            1010,
            "Invalid Transaction",
            None::<()>,
        ))));
        assert!(!is_transport(&answered));
        assert!(is_transport(
            &subxt::rpcs::Error::DisconnectedWillReconnect("x".into())
        ));
        assert!(!is_transport(&subxt::rpcs::Error::InsecureUrl(
            "ws://x".into()
        )));
        assert_eq!(map("wss://a", closed).metric_label(), "unreachable");
        assert_eq!(map("wss://a", answered).metric_label(), "other");
    }
}
