"""One benchmark run: a fresh API emulator holding N Neurons across M Subnets (all hotkeys already
registered on the fake chain), the real operator started against it, a kubelet creating the Pods
(this process for the Python emulator, built into the Rust one; see fleet_api.py), then
measurements until convergence and over a steady window."""

from __future__ import annotations

import cProfile
import io
import os
import pathlib
import pstats
import tempfile
import time
import urllib.request

import fleet_lag
from fleet_api import BACKENDS, NS, neuron_converged  # noqa: F401 (neuron_converged: re-exported)
from operator_proc import Operator

IMAGE = "ghcr.io/org/bench-miner:1.0.0"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def fleet_objects(fleet: list[tuple[str, str, int, str]], chain_endpoint: str, subnets: int,
                  poll_seconds: int) -> list[dict]:
    """Namespace, Subnets sn1..snM, and per Neuron its hotkey Secret (a seed) and the Neuron:
    externally registered (the operator never spends), axon not served on chain; validators with
    `health.maxWeightAgeBlocks` = fleet_lag.LIMIT."""
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}]
    for i in range(1, subnets + 1):
        objs.append({
            "apiVersion": "tensorfleet.io/v1alpha1", "kind": "Subnet",
            "metadata": {"name": f"sn{i}", "namespace": NS},
            "spec": {"netuid": i, "endpoints": [chain_endpoint], "pollIntervalSeconds": poll_seconds,
                     "registration": {"maxBurnTao": "1"}},
        })
    for name, seed_hex, netuid, role in fleet:
        objs.append({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": f"{name}-hotkey", "namespace": NS},
            "stringData": {"seed": seed_hex},
        })
        objs.append({
            "apiVersion": "tensorfleet.io/v1alpha1", "kind": "Neuron",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"subnet": f"sn{netuid}", "role": role, "image": IMAGE,
                     "wallet": {"generateHotkey": False},
                     "registration": {"mode": "external"},
                     "axon": {"serve": False, "expose": "None"},
                     **({"health": {"maxWeightAgeBlocks": fleet_lag.LIMIT}} if role == "validator" else {})},
        })
    return objs


def proc_cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int, field: str = "VmHWM") -> int:
    """VmHWM: peak resident set; VmRSS: current."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def fetch_metrics(op: Operator) -> str:
    """/metrics, with more patience than `Operator.metrics` (a busy debug build can take > 2 s)."""
    url = f"http://127.0.0.1:{op.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read().decode()


def settle(api, minimum: float, writes_only: bool, quiet: float = 5.0,
           maximum: float = 300.0) -> float:
    """Waits at least `minimum` seconds and until the operator sent no request (watches aside; only
    writes count when `writes_only`) for `quiet` seconds: reconciles still queued when the last
    Neuron turned Ready are not steady state. The baseline re-reads every poll interval by design,
    so only its writes can go quiet."""
    start = time.monotonic()
    counted = WRITE_VERBS if writes_only else WRITE_VERBS | {"get", "list"}
    count = lambda: api.count(counted)  # noqa: E731
    last, last_change = count(), time.monotonic()
    while True:
        time.sleep(1)
        now, n = time.monotonic(), count()
        if n != last:
            last, last_change = n, now
        if now - start >= maximum or (now - start >= minimum and now - last_change >= quiet):
            return now - start


def split(records) -> dict:
    writes = [r for r in records if r.verb in WRITE_VERBS]
    by, errors = {}, {}
    for r in records:
        key = f"{r.verb} {r.resource}{'/' + r.subresource if r.subresource else ''}"
        by[key] = by.get(key, 0) + 1
        if r.status >= 400:  # answers the operator handles (409s, 404s) or a protocol gap
            errors[f"{key} {r.status}"] = errors.get(f"{key} {r.status}", 0) + 1
    return {"total": len(records), "reads": len(records) - len(writes), "writes": len(writes),
            "by_kind": dict(sorted(by.items(), key=lambda kv: -kv[1])),
            "errors": dict(sorted(errors.items(), key=lambda kv: -kv[1]))}


def run_once(*, fleet, chain, subnets: int, poll_seconds: int, latency_ms: float,
             steady_seconds: float, settle_seconds: float, converge_timeout: float,
             baseline: bool = False, profile_top: int = 0, apiserver: str = "rust",
             kubelet_delay_ms: float = 0.0, log=print) -> dict:
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="tf-bench-"))
    api = BACKENDS[apiserver](workdir, latency_ms, kubelet_delay_ms)
    profiler = cProfile.Profile() if profile_top and apiserver == "python" else None
    op = None
    try:
        api.load(fleet_objects(fleet, chain.endpoint, subnets, poll_seconds))
        chain.reset_calls()
        if profiler:  # cProfile is per thread: enable it inside the emulator's event-loop thread
            api.cluster._loop.call_soon_threadsafe(profiler.enable)
        api.mark_cpu()
        env = {"RUST_LOG": "info"}
        if baseline:  # benchmark-only switch, honoured by fake-chain builds (controller/chain_view.rs)
            env["TF_BENCH_CHAIN_READS"] = "per-neuron"
        op = Operator(api.kubeconfig, workdir, env=env)
        t0 = time.monotonic()
        op.start(ready_timeout=30)
        idle_kib = rss_kib(op.proc.pid, "VmRSS")
        api.begin()
        n = len(fleet)
        last_report = t0
        while (converged := api.converged()) < n:
            now = time.monotonic()
            if now - t0 > converge_timeout:
                raise RuntimeError(f"not converged after {converge_timeout}s: "
                                   f"{converged}/{n} Ready; log {op.log_path}, tail:\n{op.tail(20)}")
            if now - last_report > 10:
                log(f"  {now - t0:6.1f}s: {converged}/{n} Neurons Ready, {api.progress()}")
                last_report = now
            time.sleep(0.05)
        converge_s = time.monotonic() - t0
        reqs_converge = api.requests()
        chain_converge = chain.calls()
        cpu = {"operator_s": proc_cpu_seconds(op.proc.pid), **api.cpu()}
        log(f"  converged in {converge_s:.2f}s; settling (>= {settle_seconds}s, until 5 s without "
            f"{'writes' if baseline else 'requests'}), then steady {steady_seconds}s")
        settle_s = settle(api, settle_seconds, writes_only=baseline)
        settle_reqs = api.requests(len(reqs_converge))
        mark = len(reqs_converge) + len(settle_reqs)
        chain.reset_calls()
        time.sleep(steady_seconds)
        steady_chain = chain.calls()
        steady_reqs = api.requests(mark)
        metrics = fetch_metrics(op)
        peak_kib, now_kib = rss_kib(op.proc.pid), rss_kib(op.proc.pid, "VmRSS")
        lags = {}
        if hasattr(api, "server") and not baseline:
            log("  status lag after a chain change, then a staleness crossing")
            lags = fleet_lag.measure(api.server, chain, fleet, poll_seconds)
        if profiler:
            api.cluster._loop.call_soon_threadsafe(profiler.disable)
            time.sleep(0.2)
        result = {
            "apiserver": apiserver,
            "neurons": n, "subnets": subnets, "latency_ms": latency_ms, "poll_seconds": poll_seconds,
            "converge_seconds": round(converge_s, 3),
            "api_until_converged": split(reqs_converge),
            "settle_seconds": round(settle_s, 1),
            "api_settle": split(settle_reqs),
            "steady_seconds": steady_seconds,
            "api_steady": split(steady_reqs),
            "chain_calls_until_converged": chain_converge,
            "chain_calls_steady": steady_chain,
            "chain_snapshot_reads_per_poll": round(
                steady_chain.get("snapshot", 0) / (steady_seconds / poll_seconds), 2),
            "chain_reads_per_poll": round(
                sum(steady_chain.values()) / (steady_seconds / poll_seconds), 2),
            "operator_peak_rss_mib": round(peak_kib / 1024, 1),
            "operator_rss_at_start_mib": round(idle_kib / 1024, 1),
            "operator_rss_after_steady_mib": round(now_kib / 1024, 1),
            "cpu_until_converged": {k: round(v, 2) for k, v in cpu.items()},
            **lags,
            "metrics_text": metrics,
        }
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile_top)
            result["emulator_profile"] = out.getvalue()
        return result
    finally:
        if op is not None:
            code = op.stop(timeout=20)
            if code != 0:
                log(f"  operator exited {code}; log: {op.log_path}")
        api.stop()
