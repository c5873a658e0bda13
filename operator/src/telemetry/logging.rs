//! Logging: human-readable by default, JSON lines with `--log-format json`.

use tracing_subscriber::{fmt, EnvFilter};

#[derive(clap::Args, Debug, Clone)]
pub struct LogArgs {
    /// text or json.
    #[arg(long, global = true, default_value = "text", env = "TF_LOG_FORMAT")]
    pub log_format: LogFormat,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber; `RUST_LOG` filters (default `info`). Logs go to stderr so
/// commands that print YAML or JSON on stdout stay machine-readable.
pub fn init_logging(args: &LogArgs) {
    let filter = log_filter(std::env::var(EnvFilter::DEFAULT_ENV).ok().as_deref());
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match args.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Directives added after `RUST_LOG`, so no setting can turn them off. kube-client logs the raw
/// body of every response it cannot deserialize (`warn`, and error bodies at `debug`/`trace`)
/// under the target `kube_client::client`: for a Secret, that body is the key material. The
/// failed request still surfaces, safely, as the reconcile's error. Its TLS module keeps `warn`.
const FORCED_DIRECTIVES: [&str; 2] = ["kube_client::client=error", "kube_client::client::tls=warn"];

/// `RUST_LOG` (default `info`; an invalid value also falls back to `info`) plus the forced
/// directives.
pub fn log_filter(rust_log: Option<&str>) -> EnvFilter {
    let mut filter = rust_log
        .and_then(|s| EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    for d in FORCED_DIRECTIVES {
        filter = filter.add_directive(d.parse().expect("static log directive"));
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn emitted(rust_log: Option<&str>) -> String {
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = fmt()
            .with_env_filter(log_filter(rust_log))
            .with_writer(move || out.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            // what kube-client logs when a Secret response does not parse
            tracing::warn!(target: "kube_client::client", "{{\"kind\":\"Secret\",\"data\":{{}}}} BODY");
            tracing::debug!(target: "kube_client::client", "Unsuccessful data error parse: BODY");
            tracing::error!(target: "kube_client::client::builder", "failed with status 500");
            tracing::warn!(target: "kube_client::client::tls", "failed to reload CA bundle");
            tracing::info!(target: "tensorfleet::controller", "reconciled");
            tracing::debug!(target: "tensorfleet::keys", "loaded key");
        });
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn response_bodies_are_never_logged_whatever_rust_log_says() {
        let cases = [
            (None, false),
            (Some("info"), false),
            (Some("debug"), true),
            (Some("trace"), true),
            (Some("info,tensorfleet=debug"), true),
            (Some("kube_client::client=trace,tensorfleet=debug"), true),
            (Some("not a [valid filter"), false),
        ];
        for (rust_log, debug) in cases {
            let text = emitted(rust_log);
            assert!(!text.contains("BODY"), "{rust_log:?}: {text}");
            for kept in [
                "failed with status 500",
                "failed to reload CA bundle",
                "reconciled",
            ] {
                assert!(
                    text.contains(kept),
                    "{rust_log:?}: {kept} missing in {text}"
                );
            }
            assert_eq!(text.contains("loaded key"), debug, "{rust_log:?}: {text}");
        }
    }
}
