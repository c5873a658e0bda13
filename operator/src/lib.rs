//! tensorfleet: a Kubernetes operator that runs Bittensor neuron fleets.
//!
//! Dependencies point one way: `controller` → `build`, `decide`, `chain`, `keys`, `api`;
//! `build` and `decide` → `api` only; `chain` → `keys`; `api` → nothing of ours.

pub mod agent;
// Until build/mod.rs and decide/mod.rs declare them (lead: replace at merge with `pub mod gpu;`
// in build/mod.rs and decide/mod.rs, and use crate::build::gpu / crate::decide::gpu).
pub mod api;
#[path = "build/gpu.rs"]
pub mod build_gpu;
pub mod chain;
pub mod cli;
pub mod controller;
pub mod decide;
#[path = "decide/gpu.rs"]
pub mod decide_gpu;
pub mod keys;
pub mod render;
pub mod telemetry;
