//! tensorfleet: a Kubernetes operator that runs Bittensor neuron fleets.
//!
//! Dependencies point one way: `controller` → `children`, `decide`, `chain`, `keys`, `api`;
//! `children` and `decide` → `api` only; `chain` → `keys`; `api` → nothing of ours.

pub mod agent;
pub mod api;
pub mod chain;
pub mod children;
pub mod cli;
pub mod controller;
pub mod decide;
pub mod keys;
pub mod render;
pub mod telemetry;
