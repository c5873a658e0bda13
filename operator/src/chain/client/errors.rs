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

/// Whether `err` (or any error it wraps) is a rate-limit refusal: a WebSocket upgrade answered
/// HTTP 429 (jsonrpsee: "Connection rejected with status code: 429"), or a provider's JSON-RPC
/// error saying "too many requests" / "rate limit" (codes vary by provider, the words do not).
pub fn is_rate_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("status code: 429")
            || text.contains("too many requests")
            || text.contains("rate limit")
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// Map a subxt error: rate-limit refusals become `RateLimited`, transport failures
/// `Unreachable`, the rest `Other`.
pub fn map<E: std::error::Error + 'static>(endpoint: &str, err: E) -> ChainError {
    if is_rate_limit(&err) {
        ChainError::RateLimited(format!("{endpoint}: {err}"))
    } else if is_transport(&err) {
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

    #[test]
    fn rate_limit_refusals_are_told_from_other_failures() {
        let upgrade_429 = subxt::rpcs::Error::Client(Box::new(ClientError::Transport(
            "Connection rejected with status code: 429".into(),
        )));
        let provider = subxt::rpcs::Error::Client(Box::new(ClientError::Call(ErrorObject::owned(
            -32029,
            "Too Many Requests",
            None::<()>,
        ))));
        let refused = subxt::rpcs::Error::Client(Box::new(ClientError::Transport(
            "Connection rejected with status code: 403".into(),
        )));
        let table = [
            (upgrade_429, "rate_limited"),
            (provider, "rate_limited"),
            (refused, "unreachable"),
        ];
        for (err, want) in table {
            let text = err.to_string();
            assert_eq!(map("wss://a", err).metric_label(), want, "{text}");
        }
    }
}
