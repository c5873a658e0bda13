//! Logging setup, the metrics registry and the health/metrics HTTP endpoint.

mod logging;
mod server;

pub use logging::*;
pub use server::*;
