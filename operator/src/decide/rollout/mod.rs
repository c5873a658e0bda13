//! NeuronSet rollouts: how members move to a new template. Pure.
//!
//! `rolling` is the RollingUpdate plan (the default); `canary` the chain-judged Canary strategy,
//! built from the epoch schedule (`epoch`), restart windows (`window`), the comparison
//! (`compare`) and the resolved `spec.rollout` (`settings`).

pub mod canary;
pub mod compare;
pub mod epoch;
mod rolling;
pub mod settings;
pub mod window;

pub use rolling::*;
