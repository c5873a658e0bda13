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
    /// Adding or removing our finalizer failed, or the reconcile inside it did.
    #[error("{0}")]
    Finalizer(Box<kube::runtime::finalizer::Error<Error>>),
    /// Deletion is held until the ledger's intents of the object are resolved: no failure.
    #[error("{0}")]
    DeletionHeld(String),
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
            Error::Finalizer(e) => match e.as_ref() {
                kube::runtime::finalizer::Error::ApplyFailed(inner)
                | kube::runtime::finalizer::Error::CleanupFailed(inner) => inner.metric_label(),
                _ => "finalizer",
            },
            Error::DeletionHeld(_) => "deletion_held",
        }
    }

    /// The reconcile inside the finalizer's, if that is what failed.
    fn inner(&self) -> &Error {
        match self {
            Error::Finalizer(e) => match e.as_ref() {
                kube::runtime::finalizer::Error::ApplyFailed(inner)
                | kube::runtime::finalizer::Error::CleanupFailed(inner) => inner.inner(),
                _ => self,
            },
            _ => self,
        }
    }

    /// A held deletion: waited on, not counted as a failure.
    pub fn is_held(&self) -> bool {
        matches!(self.inner(), Error::DeletionHeld(_))
    }

    /// Someone else wrote the object since we read it: read again at once, it is no failure.
    pub fn is_conflict(&self) -> bool {
        match self.inner() {
            Error::Kube(kube::Error::Api(s)) => s.code == 409,
            Error::Finalizer(e) => matches!(
                e.as_ref(),
                kube::runtime::finalizer::Error::AddFinalizer(kube::Error::Api(s))
                    | kube::runtime::finalizer::Error::RemoveFinalizer(kube::Error::Api(s)) if s.code == 409 || s.code == 422
            ),
            _ => false,
        }
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
        // Inside the finalizer helper: the reconcile's own error decides.
        let wrapped = Error::Finalizer(Box::new(kube::runtime::finalizer::Error::ApplyFailed(
            api(409),
        )));
        assert_eq!(wrapped.metric_label(), "conflict");
        assert!(wrapped.is_conflict() && !wrapped.is_held());
        let held = Error::Finalizer(Box::new(kube::runtime::finalizer::Error::CleanupFailed(
            Error::DeletionHeld("spend x".into()),
        )));
        assert!(held.is_held());
        assert_eq!(held.metric_label(), "deletion_held");
    }
}
