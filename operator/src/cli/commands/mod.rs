//! What each `tensorfleet chain` command does, over any [`crate::chain::Chain`] and output
//! writer.

mod account;
mod read;
mod tx;

pub use account::{account, AccountAction, PROXY_TYPES};
pub use read::{info, neuron};
pub use tx::{register, serve_axon, stake, RegisterInput, ServeInput, StakeInput, PERIOD};
