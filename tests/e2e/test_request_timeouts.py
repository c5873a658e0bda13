"""Bounded client requests (issue 17): a request the API server never answers is cut by the
operator's request timeout (`--request-timeout-seconds`), long before the 150 s reconcile timeout,
and the object reconciles once the stall ends; a watch that goes silent (no event, no bookmark,
no end: a hung connection) is started again within its timeout plus 5 s."""

import time

import pytest

from lifecycle_env import metric
from manifests import NS, neuron, subnet

STALL = 60.0  # the emulator answers a stalled request after this long (never, within the test)
TIMEOUT = 2  # --request-timeout-seconds


@pytest.mark.parametrize("verb,resource", [
    ("create", "secrets"),  # a write in the Neuron reconcile (its generated hotkey Secret)
    ("patch", "statefulsets"),  # a write (server-side apply of a child)
    ("watch", "neurons"),  # a watch that never starts: the Neuron is only seen once one does
])
def test_stalled_request_is_cut_and_the_object_reconciles_after(verb, resource, cluster, start_operator,
                                                                 apply, get, wait_for):
    apply(subnet())
    if verb == "watch":
        # every Neuron watch stalls from the start: the first list works, nothing after it arrives
        fault = cluster.inject(delay=STALL, times=None, verb=verb, resource=resource)
        op = start_operator("--request-timeout-seconds", str(TIMEOUT))
    else:
        op = start_operator("--request-timeout-seconds", str(TIMEOUT))
        wait_for(lambda: get("subnets", NS, "sn21").get("status"), message="Subnet reconciled")
        fault = cluster.inject(delay=STALL, times=None, verb=verb, resource=resource)
    t0 = time.monotonic()
    apply(neuron())
    wait_for(lambda: fault.hits >= 1, message=f"a stalled {verb} {resource}")
    # With no client timeout the first stalled request would hold the reconcile (or the watch)
    # for STALL seconds; cut after TIMEOUT, it is retried, and stalls again.
    wait_for(lambda: fault.hits >= 2, timeout=TIMEOUT + 10, message=f"a retried {verb} {resource}")
    cluster.clear_faults()  # the stall ends (the stalled requests still answer after STALL)
    t_clear = time.monotonic()
    wait_for(lambda: get("statefulsets", NS, "miner-0"), timeout=30, message="the Neuron reconciled")
    took = time.monotonic() - t0
    print(f"{verb} {resource}: {fault.hits} stalled requests, reconciled {took:.1f}s after the Neuron was "
          f"applied ({time.monotonic() - t_clear:.1f}s after the stall ended)")
    assert took < STALL, "the reconcile waited for the stalled request"
    cut = [e for e in op.logs() if f"within {TIMEOUT}s" in str(e)]
    assert cut, "no request timeout in the operator log"
    if verb != "watch":
        assert (metric(op.metrics(), "tensorfleet_reconcile_errors_total", controller="neuron",
                       error="request_timeout") or 0) >= 1


def test_silent_watch_is_restarted(cluster, start_operator, apply, get, wait_for):
    watch_timeout = 3
    apply(subnet())
    apply(neuron(name="first"))
    start_operator("--watch-timeout-seconds", str(watch_timeout))
    wait_for(lambda: get("statefulsets", NS, "first"), message="first reconciled")
    # Three watches of Neurons: the Neuron controller's and the Subnet controller's (all Neurons)
    # and the NeuronSet controller's (members, by label). Each restarts every 3 s: one caught
    # between two streams is silenced as soon as its next one opens.
    silenced = []

    def all_silent():
        silenced.extend(cluster.silence_watches("neurons"))
        unlabelled = sum(1 for w in silenced if not w.query.get("labelSelector"))
        return unlabelled >= 2 and len(silenced) >= 3
    wait_for(all_silent, timeout=10, message="every Neuron watch silenced")
    t0 = time.monotonic()
    apply(neuron(name="second"))  # only a live Neuron watch shows it to the operator
    wait_for(lambda: get("statefulsets", NS, "second"), timeout=watch_timeout + 15,
             message="the Neuron created while the watches were silent")
    seen = time.monotonic() - t0
    assert seen > 2, f"seen after {seen:.1f}s: a watch was not silent"
    wait_for(lambda: all(w.ended_at for w in silenced), timeout=watch_timeout + 10,
             message="the client left every silenced watch")
    gave_up = [w.ended_at - w.silenced_at for w in silenced]
    print(f"{len(silenced)} silenced Neuron watches left after {[f'{g:.1f}s' for g in gave_up]}; "
          f"the new Neuron reconciled after {seen:.1f}s")
    # The watcher restarts a watch that sent nothing for timeoutSeconds + 5 s (it may have been
    # quiet for up to timeoutSeconds before the silence began).
    assert max(gave_up) <= watch_timeout + 5 + 2, gave_up
