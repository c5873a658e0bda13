//! Pure decisions: inputs in, actions out; no client, no chain, no clock.

pub mod gpu;
pub mod registration;
pub mod restart;
pub mod rollout;
pub mod stake;
