//! One signing account's queue: its jobs run one after another, so its nonces are read and used
//! one at a time, and an intent left unresolved is resolved before the account signs again.

use super::{job, resolve, serve, Action, Deps, Request};
use crate::api::Spend;
use kube::ResourceExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Longest a job may hold its account's queue: reads, a submission and its inclusion wait (60 s)
/// are each bounded, this bounds them all. A job cut here is a crash at that point: an intent it
/// recorded stays unresolved and is resolved from the chain.
const JOB_TIMEOUT: Duration = Duration::from_secs(180);

pub enum Job {
    Do(Box<Request>),
    Resolve(Box<Spend>),
}

pub async fn run(deps: Arc<Deps>, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = rx.recv().await {
        match job {
            Job::Do(req) => {
                let key = (req.owner.key(), req.action.kind());
                let work = async {
                    match &req.action {
                        Action::Serve { .. } => serve::run(&deps, &req).await,
                        _ => job::run(&deps, &req).await,
                    }
                };
                if tokio::time::timeout(JOB_TIMEOUT, work).await.is_err() {
                    tracing::warn!(neuron = %req.owner.key(), timeout = ?JOB_TIMEOUT, "chain job cut short");
                }
                deps.busy.lock().expect("busy lock").remove(&key);
                deps.wake(&req.owner);
            }
            Job::Resolve(spend) => {
                let key = format!(
                    "{}/{}",
                    spend.namespace().unwrap_or_default(),
                    spend.name_any()
                );
                // The copy queued may be stale: settle the ledger's current one.
                if let Some(s) = deps.ledger.get(&spend) {
                    let settled =
                        tokio::time::timeout(JOB_TIMEOUT, resolve::settle(&deps, &s)).await;
                    if let Ok(resolve::Settled::Resolved(owner)) = settled {
                        deps.wake(&owner);
                    }
                }
                deps.resolving.lock().expect("resolving lock").remove(&key);
            }
        }
    }
}
