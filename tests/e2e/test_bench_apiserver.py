"""Smoke test of the benchmark's Rust API emulator (tests/bench/apiserver): the real operator
against it converges a small fleet on the fake chain, a no-op write commits nothing, and the
settled operator writes nothing. A protocol gap (a missed no-op, a watch the operator cannot
read) shows here as a loop or as no convergence, before a benchmark run reports odd numbers."""

import os
import pathlib
import sys
import time

import pytest

from operator_proc import REPO, Operator

sys.path.insert(0, str(REPO / "tests" / "bench"))
from fleet_api import NS  # noqa: E402
from fleet_run import WRITE_VERBS, fleet_objects  # noqa: E402
from rust_api import RustApiServer, bench_node  # noqa: E402

NEURONS, SUBNETS = 20, 2
NEURON_PATH = f"/apis/tensorfleet.io/v1alpha1/namespaces/{NS}/neurons"


def server_binary() -> pathlib.Path:
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    return (target if target.is_absolute() else REPO / target) / "debug" / "tensorfleet-bench-apiserver"


@pytest.fixture
def api(tmp_path):
    binary = server_binary()
    if not binary.exists():
        pytest.skip(f"bench API server {binary} missing: cargo build --all-features --bins")
    server = RustApiServer(tmp_path, latency_ms=1.0, binary=binary).start()
    yield server
    server.stop()


def make_fleet(chain) -> list[tuple[str, str, int, str]]:
    from bittensor_wallet import Keypair
    fleet = [(f"smoke-{i:02d}", "0x" + os.urandom(32).hex(), 1 + i % SUBNETS, "miner") for i in range(NEURONS)]
    for _, seed, netuid, _ in fleet:
        chain.register(netuid, Keypair.create_from_seed(seed).ss58_address)
    return fleet


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (last := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.1)
    return last


def writes(api) -> int:
    return sum(n for verb, n in api.request_counts()["by_verb"].items() if verb in WRITE_VERBS)


def test_operator_converges_against_the_rust_apiserver(api, start_chain, tmp_path):
    subnets = {str(i): {"burn": 10**9, "max_allowed_uids": 256, "tempo": 360, "immunity_period": 5000}
               for i in range(1, SUBNETS + 1)}
    chain = start_chain({"head": 1000, "subnets": subnets})
    fleet = make_fleet(chain)
    api.load([*fleet_objects(fleet, chain.endpoint, SUBNETS, poll_seconds=12), bench_node()])
    workdir = tmp_path / "operator"
    workdir.mkdir()
    op = Operator(api.kubeconfig, workdir).start(ready_timeout=30)
    try:
        wait(lambda: api.converged(NS) == (NEURONS, NEURONS), 90, f"{NEURONS} Neurons Ready")

        # A write that changes nothing commits nothing: same resourceVersion back, no event.
        name = fleet[0][0]
        code, neuron = api.call("GET", f"{NEURON_PATH}/{name}")
        assert code == 200, neuron
        rv = neuron["metadata"]["resourceVersion"]
        code, out = api.call("PATCH", f"{NEURON_PATH}/{name}", {"spec": neuron["spec"]},
                             ctype="application/merge-patch+json")
        assert (code, out["metadata"]["resourceVersion"]) == (200, rv), out
        code, out = api.call("PUT", f"{NEURON_PATH}/{name}", neuron)
        assert (code, out["metadata"]["resourceVersion"]) == (200, rv), out
        code, out = api.call("PATCH", f"{NEURON_PATH}/{name}?fieldManager=smoke&force=true",
                             {"apiVersion": neuron["apiVersion"], "kind": "Neuron",
                              "metadata": {"name": name}, "spec": neuron["spec"]},
                             ctype="application/apply-patch+yaml")
        assert (code, out["metadata"]["resourceVersion"]) == (200, rv), out
        code, out = api.call("GET", f"{NEURON_PATH}/{name}")
        assert out["metadata"]["resourceVersion"] == rv

        # Settled: at most a few seconds of trailing writes, then none for 10 s.
        last, quiet_since = writes(api), time.monotonic()
        deadline = time.monotonic() + 60
        while time.monotonic() - quiet_since < 5:
            assert time.monotonic() < deadline, "the operator never stopped writing"
            time.sleep(0.5)
            if (n := writes(api)) != last:
                last, quiet_since = n, time.monotonic()
        time.sleep(10)
        late = [r for r in api.requests() if r.verb in WRITE_VERBS][last:]
        assert late == [], f"writes after settling: {late[:5]}"

        # Nothing the operator sent was malformed or unsupported for this server.
        bad = [r for r in api.requests() if r.code in (400, 405, 415) or r.code >= 500]
        assert bad == [], bad[:5]
        levels = {line.get("level") for line in op.logs()}
        assert "ERROR" not in levels, op.tail(20)
    finally:
        assert op.stop(timeout=10) == 0, op.tail(20)
