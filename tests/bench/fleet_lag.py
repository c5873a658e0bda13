"""After the steady window: how long a chain change takes to reach status, and how long a weights
staleness crossing takes to become a restart. Both are driven on the fake chain and judged from
the API server's objects, the way a user would see them (`kubectl get`).

* status lag: one miner per Subnet gets a new incentive on chain (every sample at the same
  moment); the time until each Neuron's `status.chain.incentive` shows it;
* staleness: the validators (one per Subnet, `health.maxWeightAgeBlocks` = LIMIT, their weights
  set at the fleet's head block) see the head jump past the limit; the time until each
  validator's pod is replaced (deleted by the operator, recreated by the kubelet: a new uid).

Both are bounded by one poll interval (the operator hears of the chain only at its polls) plus
the reconcile; the target is poll interval + 1 s."""

from __future__ import annotations

import statistics
import time

from bittensor_wallet import Keypair

NS = "miners"
HEAD = 1000  # the fake chain's head until the staleness phase moves it
LIMIT = 100  # maxWeightAgeBlocks of the bench validators
NEURONS = f"/apis/tensorfleet.io/v1alpha1/namespaces/{NS}/neurons"
PODS = f"/api/v1/namespaces/{NS}/pods"


def _get(api, path: str) -> dict | None:
    code, body = api.call("GET", path)
    return body if code == 200 else None


def _summary(times: dict[str, float | None]) -> dict:
    seen = [t for t in times.values() if t is not None]
    return {"samples": len(times), "seen": len(seen),
            "max_s": round(max(seen), 3) if seen else None,
            "median_s": round(statistics.median(seen), 3) if seen else None}


def _wait_each(pending: dict[str, object], done, t0: float, timeout: float) -> dict[str, float | None]:
    """Polls `done(name, arg)` for every pending name every 20 ms; the seconds since `t0` each
    took (None: not within `timeout`)."""
    out: dict[str, float | None] = {name: None for name in pending}
    while pending and time.monotonic() - t0 < timeout:
        for name, arg in list(pending.items()):
            if done(name, arg):
                out[name] = time.monotonic() - t0
                del pending[name]
        time.sleep(0.02)
    return out


def status_lag(api, chain, miners: list[tuple[str, str, int]], timeout: float = 60.0) -> dict:
    """`miners`: (Neuron name, hotkey ss58, netuid), one per Subnet."""
    values = {name: round(0.5 + i / 1000, 6) for i, (name, _, _) in enumerate(miners)}
    t0 = time.monotonic()
    for name, hotkey, netuid in miners:
        chain.set_figures(netuid, hotkey, incentive=values[name])

    def shows(name, want):
        n = _get(api, f"{NEURONS}/{name}") or {}
        got = ((n.get("status") or {}).get("chain") or {}).get("incentive")
        return got is not None and abs(got - want) < 1e-9

    return _summary(_wait_each(dict(values), shows, t0, timeout))


def staleness_restart(api, chain, validators: list[str], last_update: int, timeout: float = 60.0) -> dict:
    """`validators`: Neuron names whose weights were set at `last_update` (the head so far)."""
    uids = {}
    for name in validators:
        pod = _get(api, f"{PODS}/{name}-0")
        uids[name] = pod and pod["metadata"]["uid"]
    head = chain.advance(last_update + LIMIT + 1 - chain.advance(0))
    t0 = time.monotonic()

    def replaced(name, uid):
        pod = _get(api, f"{PODS}/{name}-0")
        return pod is None or pod["metadata"]["uid"] != uid

    out = _summary(_wait_each(dict(uids), replaced, t0, timeout))
    out["crossing_block"] = head
    return out


def measure(api, chain, fleet: list[tuple[str, str, int, str]]) -> dict:
    """Both figures on the bench fleet (fleet_bench.make_fleet): a miner and the validator of
    each Subnet. Afterwards the validators' weights are set at the new head again, so that a
    later run on the same chain starts fresh."""
    def hotkey(seed):
        return Keypair.create_from_seed(seed).ss58_address
    validators = [(n, hotkey(s), u) for n, s, u, role in fleet if role == "validator"]
    miners, seen = [], set()
    for name, seed, netuid, role in fleet:
        if role == "miner" and netuid not in seen:
            seen.add(netuid)
            miners.append((name, hotkey(seed), netuid))
    out = {"status_lag": status_lag(api, chain, miners)}
    out["staleness_restart"] = staleness_restart(api, chain, [n for n, _, _ in validators], HEAD)
    head = chain.advance(0)
    for _, key, netuid in validators:
        chain.set_figures(netuid, key, last_update=head)
    return out
