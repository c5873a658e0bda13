//! The controller's one error enum.

/// Why a reconcile failed (it is retried with backoff). Never carries key material: Secret
/// problems are reported by Secret name and key through `keys::KeyError`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("{0} has no namespace")]
    MissingNamespace(String),
    #[error("serializing {0}: {1}")]
    Serialize(&'static str, serde_json::Error),
    #[error("generating a hotkey: {0}")]
    Keys(String),
    #[error("reconcile did not finish within {0:?}")]
    Timeout(std::time::Duration),
    /// An object the decision needs does not decode (it is reported on itself).
    #[error(transparent)]
    Unreadable(#[from] super::lenient::read::Unreadable),
}

impl Error {
    /// Stable label for `tensorfleet_reconcile_errors_total{error}`.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Kube(kube::Error::Api(s)) if s.code == 409 => "conflict",
            Error::Kube(kube::Error::Api(s)) if s.code == 404 => "not_found",
            Error::Kube(kube::Error::Api(_)) => "api",
            Error::Kube(e) if super::deadline::is_timeout(e) => "request_timeout",
            Error::Kube(_) => "kube",
            Error::MissingNamespace(_) => "missing_namespace",
            Error::Serialize(..) => "serialize",
            Error::Keys(_) => "keys",
            Error::Timeout(_) => "timeout",
            Error::Unreadable(_) => "unreadable",
        }
    }

    /// Someone else wrote the object since we read it: read again at once, it is no failure.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Kube(kube::Error::Api(s)) if s.code == 409)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let api = |code| {
            Error::Kube(kube::Error::Api(Box::new(kube::core::Status {
                code,
                ..Default::default()
            })))
        };
        let cases = [
            (api(409), "conflict"),
            (api(404), "not_found"),
            (api(500), "api"),
            (Error::MissingNamespace("n".into()), "missing_namespace"),
            (Error::Keys("x".into()), "keys"),
            (Error::Timeout(std::time::Duration::from_secs(1)), "timeout"),
            (
                Error::Kube(kube::Error::Service(Box::new(
                    crate::controller::deadline::TimedOut(std::time::Duration::from_secs(3)),
                ))),
                "request_timeout",
            ),
            (
                Error::Kube(kube::Error::Service("connection refused".into())),
                "kube",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.metric_label(), want, "{e}");
            assert_eq!(e.is_conflict(), want == "conflict", "{e}");
        }
    }
}
