//! Pure decisions: observed facts in, phase/conditions/replicas out. No client, no chain.

mod conflict;
mod neuron;
mod subnet;
mod validate;

pub use conflict::*;
pub use neuron::*;
pub use subnet::*;
pub use validate::*;
