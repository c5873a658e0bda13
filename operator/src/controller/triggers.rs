//! Wiring of the three controllers (Neuron, Subnet, NeuronSet): what they watch (see `watched`),
//! what triggers them (including chain poll events), error backoff, metrics, and graceful
//! shutdown.

use super::context::{Context, Parts as ContextParts};
use super::error::Error;
use super::lenient;
use super::metrics::Metrics;
use super::poll_wakes::{affected, in_conflict};
use super::secrets::Secrets;
use super::slim;
use super::spending::{self, Executor};
use super::stores::Stores;
use super::watched::{api, invalid, Watched, NEURON_INVALID, SET_INVALID, SUBNET_INVALID};
use super::{neuron, neuronset, subnet, watches};
use crate::api::{labels, Neuron, NeuronSet, Subnet};
use crate::chain::poller::{PollEvent, Pollers};
use crate::chain::{ChainCache, SubnetKey};
use futures::{Future, FutureExt, Stream, StreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Pod, Secret, Service};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::Recorder;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{controller, WatchStreamExt};
use kube::{Client, Resource, ResourceExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Reconciles in flight per controller. Unbounded, a fleet's first sync runs every reconcile at
/// once: at 1,000 Neurons that held ~150 MiB and made each reconcile wait seconds on the others
/// (BENCHMARKS.md). Nothing in a reconcile waits on another Neuron or on the chain (chain
/// actions run in the executor).
const RECONCILE_CONCURRENCY: u16 = 32;

/// Longer than any legitimate reconcile: a few API requests, each bounded by
/// `--request-timeout-seconds` (a reconcile never waits on a block). The last guard.
const RECONCILE_TIMEOUT: Duration = Duration::from_secs(150);

fn bounded() -> kube::runtime::controller::Config {
    kube::runtime::controller::Config::default().concurrency(RECONCILE_CONCURRENCY)
}

pub async fn run(
    client: Client,
    watched: Watched<'_>,
    cache: Arc<ChainCache>,
    pollers: Arc<Pollers>,
    metrics: Arc<Metrics>,
    mut poll_events: mpsc::UnboundedReceiver<PollEvent>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> anyhow::Result<()> {
    let ns = watched.namespace;
    let base = watched.config();
    let (neuron_tx, neuron_rx) = mpsc::unbounded_channel::<ObjectRef<Neuron>>();
    let (subnet_tx, subnet_rx) = mpsc::unbounded_channel::<ObjectRef<Subnet>>();
    let (set_tx, set_rx) = mpsc::unbounded_channel::<ObjectRef<NeuronSet>>();
    let recorder = Recorder::new(client.clone(), super::events::reporter());
    // Objects of our kinds that do not decode stay out of the typed watches and stores (one of
    // them would stop every list of its kind) and are reported on themselves.
    let invalid_neurons = Arc::new(lenient::Registry::default());
    let invalid_subnets = Arc::new(lenient::Registry::default());
    let (store, neuron_stream) = lenient::watch::primary::<Neuron>(
        &client,
        ns,
        base.clone(),
        invalid::<Neuron>(&client, &recorder, invalid_neurons.clone(), NEURON_INVALID),
    );
    // The Neurons' children and pods: one watch each, its cache read by the reconcile.
    let (statefulsets, sts_stream) = watches::reflected(&client, &watched, slim::statefulset);
    let (services, svc_stream) = watches::reflected::<Service>(&client, &watched, slim::object);
    let (pods, pod_stream) = watches::reflected(&client, &watched, slim::pod);
    let (managed, managed_stream) = watches::reflected::<Secret>(&client, &watched, slim::object);
    let (secret_index, index_stream) = watches::secret_index(&client, &watched);
    let neurons = Controller::for_stream(neuron_stream, store.clone())
        .with_config(bounded())
        .owns_stream(sts_stream)
        .owns_stream(svc_stream)
        // Wallet Secrets and generated hotkeys (the latter have no owner reference).
        .watches_stream(managed_stream, |s: Secret| neuron_of(&s))
        .watches_stream(pod_stream, |p: Pod| neuron_of(&p))
        .watches_stream(index_stream, {
            let store = store.clone();
            move |s| watches::neurons_of_secret(&store, &s)
        })
        .reconcile_on(stream_of(neuron_rx));
    let (subnet_store, subnet_stream) = lenient::watch::primary::<Subnet>(
        &client,
        ns,
        base.clone(),
        invalid::<Subnet>(&client, &recorder, invalid_subnets.clone(), SUBNET_INVALID),
    );
    let subnets = Controller::for_stream(subnet_stream, subnet_store.clone())
        .with_config(bounded())
        .watches_stream(
            lenient::watch(&client, ns, base.clone(), lenient::Sink::quiet()).touched_objects(),
            |n: Neuron| Some(ObjectRef::<Subnet>::new(&n.spec.subnet).within(&n.namespace()?)),
        )
        .reconcile_on(stream_of(subnet_rx));

    // NeuronSets own their member Neurons; a member's StatefulSet rolling out (status only)
    // also moves its set's rollout on. (`owns` watches metadata only: it decodes any member.)
    let members = || base.clone().labels(labels::NEURON_SET);
    let (set_store, set_stream) = lenient::watch::primary::<NeuronSet>(
        &client,
        ns,
        base.clone(),
        invalid::<NeuronSet>(&client, &recorder, Default::default(), SET_INVALID),
    );
    let sets = Controller::for_stream(set_stream, set_store.clone())
        .with_config(bounded())
        .owns(api::<Neuron>(&client, ns), members())
        .watches(
            api::<StatefulSet>(&client, ns),
            members(),
            |sts: StatefulSet| {
                let set = sts.labels().get(labels::NEURON_SET)?.clone();
                Some(ObjectRef::<NeuronSet>::new(&set).within(&sts.namespace()?))
            },
        )
        .reconcile_on(stream_of(set_rx));

    let spends = watches::ledger(
        &client,
        &watched,
        watches::SpendWakes {
            neurons: neuron_tx.clone(),
            neuron_store: store.clone(),
            sets: set_tx,
            subnets: subnet_tx.clone(),
        },
    );
    let secrets = Arc::new(Secrets::new(client.clone(), secret_index, managed));
    let executor = Arc::new(Executor::new(spending::Parts {
        client: client.clone(),
        coldkeys: secrets.coldkeys.clone(),
        ledger: spending::Ledger::new(client.clone(), spends),
        pollers: pollers.clone(),
        cache: cache.clone(),
        recorder: recorder.clone(),
        metrics: metrics.clone(),
        wake: neuron_tx.clone(),
    }));
    tokio::spawn(spending::upkeep(executor.clone()));
    let nodes = super::nodes::start(client.clone(), &base, store.clone(), neuron_tx.clone()).await;
    let ctx = Arc::new(
        Context::new(ContextParts {
            client: client.clone(),
            cache: cache.clone(),
            pollers: pollers.clone(),
            recorder,
            metrics,
            neurons: store.clone(),
            sets: set_store,
            stores: Stores {
                subnets: subnet_store,
                statefulsets,
                services,
                pods,
            },
            secrets,
            executor,
            neuron_trigger: neuron_tx.clone(),
        })
        .with_nodes(nodes)
        .with_invalid(invalid_neurons, invalid_subnets),
    );
    // Poll events → reconciles of the Subnet and of the Neurons whose hotkeys changed or whose
    // deadline the new block crossed.
    let dispatch = {
        let store = store.clone();
        let neuron_tx = neuron_tx.clone();
        let cache = cache.clone();
        async move {
            while let Some(ev) = poll_events.recv().await {
                let view = cache.get(&ev.subnet);
                for r in affected(&ev, &store.state(), view.as_ref()) {
                    let _ = neuron_tx.send(r);
                }
                if ev.change.subnet || ev.change.endpoints {
                    let _ = subnet_tx
                        .send(ObjectRef::new(&ev.subnet.name).within(&ev.subnet.namespace));
                }
            }
        }
    };
    tokio::spawn(dispatch);

    let shutdown = shutdown.shared();
    let neuron_run = neurons
        .graceful_shutdown_on(shutdown.clone())
        .run(
            timed("neuron", neuron::reconcile),
            error_policy::<Neuron>("neuron"),
            ctx.clone(),
        )
        .for_each({
            let (ctx, store, neuron_tx) = (ctx.clone(), store.clone(), neuron_tx.clone());
            move |r| {
                // A deleted Neuron: its metric series go, and Neurons that lost a HotkeyConflict
                // to it look again (the hotkey may be theirs now).
                if let Err(controller::Error::ObjectNotFound(obj)) = &r {
                    let ns = obj.namespace.as_deref().unwrap_or_default();
                    ctx.metrics.forget_neuron(ns, &obj.name);
                    ctx.pollers.interest.forget(ns, &obj.name);
                    for n in in_conflict(&store.state()) {
                        let _ = neuron_tx.send(n);
                    }
                }
                async move { log_result("neuron", r) }
            }
        });
    let set_run = sets
        .graceful_shutdown_on(shutdown.clone())
        .run(
            timed("neuronset", neuronset::reconcile),
            error_policy::<NeuronSet>("neuronset"),
            ctx.clone(),
        )
        .for_each(|r| async move { log_result("neuronset", r) });
    let subnet_run = subnets
        .graceful_shutdown_on(shutdown)
        .run(
            timed("subnet", subnet::reconcile),
            error_policy::<Subnet>("subnet"),
            ctx.clone(),
        )
        .for_each(move |r| {
            // A deleted Subnet is no longer in the store: stop its poller, tell its Neurons.
            if let Err(controller::Error::ObjectNotFound(obj)) = &r {
                if let Some(ns) = &obj.namespace {
                    let key = SubnetKey {
                        namespace: ns.clone(),
                        name: obj.name.clone(),
                    };
                    pollers.stop(&key);
                    let gone = PollEvent {
                        subnet: key,
                        change: crate::chain::cache::Change {
                            subnet: true,
                            ..Default::default()
                        },
                    };
                    for n in affected(&gone, &store.state(), None) {
                        let _ = neuron_tx.send(n);
                    }
                }
            }
            async move { log_result("subnet", r) }
        });
    tracing::info!(
        namespace = ns.unwrap_or("<all>"),
        watch_timeout_seconds = watched.timeout_seconds,
        "controllers started"
    );
    futures::join!(neuron_run, subnet_run, set_run);
    tracing::info!("controllers stopped");
    Ok(())
}

/// The Neuron an object of ours belongs to, by its label.
fn neuron_of<K: ResourceExt>(o: &K) -> Option<ObjectRef<Neuron>> {
    let name = o.labels().get(labels::NEURON)?.clone();
    Some(ObjectRef::<Neuron>::new(&name).within(&o.namespace()?))
}

fn stream_of<T>(rx: mpsc::UnboundedReceiver<T>) -> impl Stream<Item = T> {
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) })
}

type ReconcileFut = std::pin::Pin<Box<dyn Future<Output = Result<Action, Error>> + Send>>;

/// Wraps a reconcile with its duration metric and the reset of its failure backoff.
fn timed<K, F, Fut>(name: &'static str, f: F) -> impl FnMut(Arc<K>, Arc<Context>) -> ReconcileFut
where
    K: Resource<DynamicType = ()> + Send + Sync + 'static,
    F: Fn(Arc<K>, Arc<Context>) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Result<Action, Error>> + Send + 'static,
{
    move |obj, ctx| {
        Box::pin(async move {
            let start = Instant::now();
            let oref = ObjectRef::from_obj(obj.as_ref());
            // A request the API server never answers (kube's client has no read timeout) must
            // not hold the object, and a slot of the bounded pool, forever.
            let r = tokio::time::timeout(RECONCILE_TIMEOUT, f(obj, ctx.clone()))
                .await
                .unwrap_or(Err(Error::Timeout(RECONCILE_TIMEOUT)));
            ctx.metrics.observe(name, start.elapsed().as_secs_f64());
            if r.is_ok() {
                ctx.succeeded(&oref);
            }
            r
        })
    }
}

/// How often a held deletion looks at the ledger again (the executor resolves meanwhile).
const HELD_RETRY: Duration = Duration::from_secs(5);

/// A 409 (our write raced another, or our view was stale) is retried at once on a fresh read.
const CONFLICT_RETRY: Duration = Duration::from_secs(1);

fn error_policy<K>(name: &'static str) -> impl Fn(Arc<K>, &Error, Arc<Context>) -> Action
where
    K: Resource<DynamicType = ()>,
{
    move |obj, err, ctx| {
        if err.is_held() {
            tracing::info!(controller = name, object = %ObjectRef::from_obj(obj.as_ref()), reason = %err, "deletion held");
            return Action::requeue(HELD_RETRY);
        }
        ctx.metrics.error(name, err.metric_label());
        let wait = if err.is_conflict() {
            CONFLICT_RETRY
        } else {
            ctx.backoff(&ObjectRef::from_obj(obj.as_ref()))
        };
        tracing::warn!(controller = name, object = %ObjectRef::from_obj(obj.as_ref()), error = %err, retry_in = ?wait, "reconcile failed");
        Action::requeue(wait)
    }
}

fn log_result<K: Resource, E: std::fmt::Display>(name: &str, r: Result<(ObjectRef<K>, Action), E>)
where
    K::DynamicType: std::fmt::Debug,
{
    match r {
        Ok((obj, _)) => tracing::debug!(controller = name, object = %obj.name, "reconciled"),
        Err(e) => tracing::debug!(controller = name, error = %e, "reconcile not run"),
    }
}
