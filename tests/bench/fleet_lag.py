"""After the steady window: how long a chain change takes to reach status, and how long a weights
staleness crossing takes to become a restart. Both are driven on the fake chain and judged from
the API server's objects, the way a user would see them (`kubectl get`).

Every Subnet's poller ticks at the same moments (they start together), so changes made at one
moment would all wait the same part of a poll interval. The samples are therefore spread over
one poll interval (K samples, one every interval / K), which gives the whole range, from "just
before a poll" to "just after one":

* status lag: sample i is a miner of its own Subnet whose incentive changes on chain at its
  moment; the time until its `status.chain.incentive` shows it;
* staleness: sample j is the validator of Subnet j (`health.maxWeightAgeBlocks` = LIMIT), its
  weights set `j` blocks before the head (`weights_age`); the head then moves to one block before
  the first crossing and on by one block per moment, so one validator crosses at each; the time
  from its crossing block until its pod is replaced (deleted by the operator, recreated by the
  kubelet: a new uid).

Both are bounded by one poll interval (the operator hears of the chain only at its polls) plus
the reconcile; the target is poll interval + 1 s."""

from __future__ import annotations

import statistics
import time

from bittensor_wallet import Keypair

NS = "miners"
HEAD = 1000  # the fake chain's head until the staleness phase moves it
LIMIT = 100  # maxWeightAgeBlocks of the bench validators
SAMPLES = 10  # of each figure, spread over one poll interval
NEURONS = f"/apis/tensorfleet.io/v1alpha1/namespaces/{NS}/neurons"
PODS = f"/api/v1/namespaces/{NS}/pods"


def weights_age(j: int) -> int:
    """Blocks before HEAD at which validator j (0-based, by Subnet) set its weights: sample j
    crosses its limit j blocks before sample 0 does (fresh at HEAD, as j < LIMIT)."""
    return j if j < SAMPLES else 0


def _get(api, path: str) -> dict | None:
    code, body = api.call("GET", path)
    return body if code == 200 else None


def _summary(times: dict[str, float | None]) -> dict:
    seen = [t for t in times.values() if t is not None]
    return {"samples": len(times), "seen": len(seen),
            "max_s": round(max(seen), 3) if seen else None,
            "median_s": round(statistics.median(seen), 3) if seen else None,
            "min_s": round(min(seen), 3) if seen else None}


def _staggered(samples: list, start, done, poll_seconds: float, timeout: float) -> dict[str, float | None]:
    """Calls `start(sample)` for one sample every poll_seconds / len(samples), and polls
    `done(sample)` of the started ones every 20 ms; the seconds each took after its start
    (None: not within `timeout`)."""
    gap = poll_seconds / max(len(samples), 1)
    began: dict[str, float] = {}
    out: dict[str, float | None] = {s[0]: None for s in samples}
    queue = list(samples)
    t0 = time.monotonic()
    next_at = t0
    while queue or (began and time.monotonic() - t0 < timeout + poll_seconds):
        now = time.monotonic()
        if queue and now >= next_at:
            s = queue.pop(0)
            start(s)
            began[s[0]] = time.monotonic()
            next_at += gap
        for s in samples:
            name = s[0]
            if name in began and out[name] is None and done(s):
                out[name] = time.monotonic() - began.pop(name)
        began = {n: t for n, t in began.items() if time.monotonic() - t < timeout}
        time.sleep(0.02)
    return out


def status_lag(api, chain, miners: list[tuple[str, str, int]], poll_seconds: float,
               timeout: float = 60.0) -> dict:
    """`miners`: (Neuron name, hotkey ss58, netuid), each of its own Subnet."""
    values = {name: round(0.5 + i / 1000, 6) for i, (name, _, _) in enumerate(miners)}

    def start(m):
        chain.set_figures(m[2], m[1], incentive=values[m[0]])

    def shows(m):
        n = _get(api, f"{NEURONS}/{m[0]}") or {}
        got = ((n.get("status") or {}).get("chain") or {}).get("incentive")
        return got is not None and abs(got - values[m[0]]) < 1e-9

    return _summary(_staggered(miners, start, shows, poll_seconds, timeout))


def staleness_restart(api, chain, validators: list[str], others: list[tuple[int, str]],
                      poll_seconds: float, timeout: float = 60.0) -> dict:
    """`validators`: sample j's Neuron name at index j (weights set at HEAD - weights_age(j));
    `others`: (netuid, hotkey) of the validators that are not samples."""
    uids = {}
    for name in validators:
        pod = _get(api, f"{PODS}/{name}-0")
        uids[name] = pod and pod["metadata"]["uid"]
    # Crossing block of sample j: HEAD - weights_age(j) + LIMIT + 1; the first is sample K-1's.
    first = HEAD - weights_age(len(validators) - 1) + LIMIT + 1
    head = chain.advance(first - 1 - chain.advance(0))
    for netuid, key in others:  # the other validators stay fresh through the phase
        chain.set_figures(netuid, key, last_update=head)
    samples = [(name,) for name in reversed(validators)]  # in the order they cross

    def start(_):
        chain.advance(1)

    def replaced(s):
        pod = _get(api, f"{PODS}/{s[0]}-0")
        return pod is None or pod["metadata"]["uid"] != uids[s[0]]

    out = _summary(_staggered(samples, start, replaced, poll_seconds, timeout))
    out["crossing_blocks"] = [first, first + len(samples) - 1]
    return out


def measure(api, chain, fleet: list[tuple[str, str, int, str]], poll_seconds: float) -> dict:
    """Both figures on the bench fleet (fleet_bench.make_fleet), on the first SAMPLES Subnets.
    Afterwards the validators' weights are set at the new head again, so that a later run on the
    same chain starts fresh."""
    def hotkey(seed):
        return Keypair.create_from_seed(seed).ss58_address
    validators = [(n, hotkey(s), u) for n, s, u, role in fleet if role == "validator"]
    miners, seen = [], set()
    for name, seed, netuid, role in fleet:
        if role == "miner" and netuid not in seen and len(miners) < SAMPLES:
            seen.add(netuid)
            miners.append((name, hotkey(seed), netuid))
    out = {"status_lag": status_lag(api, chain, miners, poll_seconds)}
    out["staleness_restart"] = staleness_restart(
        api, chain, [n for n, _, _ in validators[:SAMPLES]],
        [(u, k) for _, k, u in validators[SAMPLES:]], poll_seconds)
    head = chain.advance(0)
    for _, key, netuid in validators:
        chain.set_figures(netuid, key, last_update=head)
    return out
