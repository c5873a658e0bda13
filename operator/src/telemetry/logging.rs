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
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match args.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
