//! Publishing a Neuron's axon (`serve_axon`, signed by its hotkey, fee-free): on the hotkey's own
//! queue, no ledger record (it costs nothing), the address served kept until the snapshot
//! shows it.

use super::feedback::{Kind, Refusal};
use super::{Action, Deps, Request, MORTALITY};
use crate::chain::{ChainError, ServeAxonRequest, TxParams};
use jiff::{SignedDuration, Timestamp};
use kube::runtime::events::EventType;

/// Axon protocol version published with the endpoint.
const AXON_VERSION: u32 = 0;

pub async fn run(deps: &Deps, req: &Request) {
    let Action::Serve {
        hotkey,
        ip,
        port,
        mainnet,
    } = &req.action
    else {
        return;
    };
    let owner = req.owner.key();
    let refuse = |reason: &str, message: String| {
        deps.feedback.refuse(
            &owner,
            Kind::Serve,
            Refusal {
                reason: reason.into(),
                message,
                retry_at: Timestamp::now() + SignedDuration::from_secs(30),
            },
        )
    };
    let Some(chain) = deps.pollers.client(&req.subnet) else {
        return refuse("WaitingForChain", "no chain connection yet".into());
    };
    let reads = async {
        let head = chain.head().await?;
        let nonce = chain.account_nonce(&req.hotkey).await?;
        Ok::<_, ChainError>((head, nonce))
    };
    let (head, nonce) = match reads.await {
        Ok(r) => r,
        Err(e) => return refuse("ChainReadFailed", e.to_string()),
    };
    let call = ServeAxonRequest {
        netuid: req.netuid,
        hotkey,
        ip: *ip,
        port: *port,
        version: AXON_VERSION,
        tx: TxParams {
            nonce,
            birth_block: head,
            period: MORTALITY,
        },
    };
    let r = crate::controller::events::neuron_ref(
        &req.owner.namespace,
        &req.owner.neuron,
        req.owner.uid.as_deref(),
    );
    let addr = format!("{ip}:{port}");
    if *mainnet && crate::decide::neuron_plan::unreachable_from_internet(*ip) {
        let why = format!(
            "serving {addr} on finney: a loopback or private address is not reachable from validators on the internet"
        );
        crate::controller::events::publish_on(
            &deps.recorder,
            &r,
            EventType::Warning,
            "AxonAddressPrivate",
            &why,
        )
        .await;
    }
    match chain.serve_axon(&call).await {
        Ok(o) if o.result.label() == "Success" => {
            deps.served
                .lock()
                .expect("served lock")
                .insert(owner.clone(), (*ip, *port, o.block));
            deps.feedback.clear(&owner, Kind::Serve);
            tracing::info!(neuron = %owner, axon = %addr, block = o.block, "axon served");
            let note = format!("serve_axon {addr} at block {}", o.block);
            crate::controller::events::publish_on(
                &deps.recorder,
                &r,
                EventType::Normal,
                "AxonServed",
                &note,
            )
            .await;
        }
        failed => {
            let msg = match failed {
                Ok(o) => format!("serve_axon {addr} failed: {}", o.result.label()),
                Err(e) => format!("serve_axon {addr}: {e}"),
            };
            crate::controller::events::publish_on(
                &deps.recorder,
                &r,
                EventType::Warning,
                "AxonServeFailed",
                &msg,
            )
            .await;
            refuse("ServeFailed", msg)
        }
    }
}
