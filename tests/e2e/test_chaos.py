"""Chaos run (issue 8): 100 auto-registering Neurons on four Subnets (standalone and NeuronSet
members, caps and budgets set so that some registrations must be refused, three pairs of Neurons
sharing a hotkey) go through registration against the real operator and fake chain while the
operator is SIGKILLed and restarted at random moments, the API emulator answers 409/500 or stalls
on a share of requests, and the chain times out, disconnects, loses inclusion answers or goes
unreachable. The chaos lasts until a tenth of the fleet has registered under it (30-100 s). Then
the faults stop and, from the emulator's change log and the chain's ledger: never two running
StatefulSets for one hotkey, no hotkey registered twice, every burn recorded exactly once (the
`SuccessAmountUnknown` case at its cost limit), caps and budgets kept, no panic, and every Neuron
settles (registered, or blocked for the right reason) within a bound.

Size: the issue asks for ~200. Measured on the 2-core machine with the Python emulator, 200
Neurons with restarts every 1-9 s gave 0 registrations during 45 s of chaos in 3 of 3 runs (a
restarted operator spends its short life on the startup reconciles of 200 Neurons), and the
registrations after it took 60-90 s (one run did not settle in 90 s): the chaos would not have
overlapped the spending it is meant to test, and the test would not fit in 3 minutes. 100 does
both (about 1:30 in total). `TF_CHAOS_NEURONS=200` runs the full size (allow ~4 minutes).

The RNG seed is printed; `TF_CHAOS_SEED=<seed>` replays the same fault schedule (timings still
vary)."""

import json
import os
import random
import time

import pytest

from chaos_checks import (Fleet, check_chain, check_one_pod_per_hotkey, check_spend, check_verdicts,
                          ledgers_caught_up, registrations, settled)
from chaos_env import BLOCK_MS, Chaos, chain_config, fleet, manifests
from manifests import NS

CHAOS_SECONDS = (30, 100)  # at least, at most; in between until a tenth of the fleet registered
SETTLE_TIMEOUT = 90
LEDGER_TIMEOUT = 180


@pytest.mark.timeout(480)
def test_chaos_registration(cluster, start_chain, start_operator, tmp_path):
    seed = int(os.environ.get("TF_CHAOS_SEED") or random.SystemRandom().randrange(2**32))
    size = int(os.environ.get("TF_CHAOS_NEURONS") or 100)
    print(f"chaos seed {seed} (TF_CHAOS_SEED={seed} replays it), {size} Neurons")
    rng = random.Random(seed)
    plans = fleet(rng, size)
    chain = start_chain(chain_config(plans), block_ms=BLOCK_MS)
    for obj in manifests(plans, chain.endpoint):
        cluster.apply(obj)
    plan = Fleet(plans)
    assert len(plan.subnet_of) == size

    chaos = Chaos(rng, cluster, chain, start_operator)
    t0 = time.monotonic()
    try:
        target = size // 10
        reached = chaos.run(lambda: len(chain.burns()) >= target, *CHAOS_SECONDS)
        chaos.stop()
        t_chaos = time.monotonic() - t0
        during = len(chain.burns())
        assert reached, f"only {during} registrations in {t_chaos:.0f}s of chaos (wanted {target})"
        verdicts = cluster.wait_for(lambda: settled(cluster, chain, plan), timeout=SETTLE_TIMEOUT,
                                    interval=1, message="every Neuron settled")
        t_settled = time.monotonic() - t0
        print(f"chaos {t_chaos:.0f}s with {chaos.kills} kills, {during} burns; settled "
              f"{t_settled - t_chaos:.0f}s later")

        # A set's status.spentRao follows its members' records. A reconcile that waits on a request
        # the emulator never answers (seen under these faults; kube's client has no read timeout)
        # is cut by the operator's reconcile timeout (150 s), so the bound is that plus a retry.
        t_ledger = time.monotonic()
        cluster.wait_for(lambda: ledgers_caught_up(cluster, plan), timeout=LEDGER_TIMEOUT,
                         interval=1, message="NeuronSet ledgers caught up")
        print(f"ledgers caught up {time.monotonic() - t_ledger:.0f}s after settling")
        neurons = cluster.list("neurons", NS)
        sets = {s["metadata"]["name"]: s for s in cluster.list("neuronsets", NS)}
        regs = registrations(chain)
        check_chain(regs, plans)
        print("verdicts", check_verdicts(verdicts, neurons, plan, plans))
        spend = check_spend(regs, neurons, plan, plans, sets)
        print("spend", spend)
        assert spend["lost_answers"] >= 2, "the two injected lost answers were not exercised"
        print("pods", check_one_pod_per_hotkey(cluster))
        panics = [op.log_path for op in chaos.operators if "panicked" in op.text()]
        assert not panics, f"panics in {panics}"
        print(f"{chaos.kills} kills, {chaos.api_faults} API requests failed or stalled, "
              f"{chaos.chain_faults} chain faults")
        assert chaos.kills >= 3 and chaos.api_faults >= 50 and chaos.chain_faults >= 5, "too little chaos"
    except BaseException:
        print(f"chaos seed {seed}; schedule:\n" + "\n".join(chaos.log))
        dump = tmp_path / "neuron-status-history.json"
        dump.write_text(json.dumps({n: [(v or {}).get("status") for v in cluster.history("neurons", NS, n)]
                                    for n in plan.subnet_of}, indent=1))
        print(f"every Neuron's stored statuses: {dump}; operator logs: {tmp_path}/operator-*/")
        # requests the emulator has not answered (a reconcile waiting on one cannot finish)
        print("unanswered:", [(r.verb, r.resource, r.name, r.subresource, r.query)
                              for r in cluster.requests if r.status == 0 and r.verb != "watch"])
        raise

