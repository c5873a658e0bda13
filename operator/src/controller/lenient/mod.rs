//! Lenient watching: an object of our kinds that does not decode (CRD version skew, no admission,
//! a hand edit) is kept out of the typed watch streams and stores, logged once and reported on
//! itself (`Ready=False`, reason `InvalidObject`, and a Warning Event) through an untyped path,
//! while every other object of its kind keeps reconciling. Once a version decodes again, the
//! object reconciles normally and its normal conditions replace the report.

pub mod claims;
mod condition;
pub mod decode;
pub mod read;
pub mod registry;
pub mod report;
pub mod watch;

pub use registry::Registry;
pub use report::Reporter;
pub use watch::{watch, Sink};
