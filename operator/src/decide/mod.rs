//! Pure decisions: observed facts in, phase/conditions/replicas/actions out. No client, no chain,
//! no clock (time is an input).

mod conflict;
mod neuron;
mod subnet;
mod validate;

pub mod gpu;
pub mod identity;
pub mod ledger;
pub mod neuron_plan;
pub mod neuronset;
pub mod pruning;
pub mod registration;
pub mod restart;
pub mod rollout;
pub mod spend_failure;
pub mod spend_pause;
pub mod stake;
pub mod subnet_changes;
pub mod weights;

pub use conflict::*;
pub use neuron::*;
pub use subnet::*;
pub use validate::*;
