"""One benchmark run: a fresh API emulator holding N Neurons across M Subnets (all hotkeys already
registered on the fake chain), the real operator started against it, this process acting as the
kubelet, then measurements until convergence and over a steady window."""

from __future__ import annotations

import copy
import cProfile
import io
import os
import pathlib
import pstats
import resource
import tempfile
import threading
import time
import urllib.request

from cluster import Cluster
from operator_proc import REPO, Operator

NS = "miners"
IMAGE = "ghcr.io/org/bench-miner:1.0.0"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def fleet_objects(fleet: list[tuple[str, str, int]], chain_endpoint: str, subnets: int,
                  poll_seconds: int) -> list[dict]:
    """Namespace, Subnets sn1..snM, and per Neuron its hotkey Secret (a seed) and the Neuron:
    externally registered (the operator never spends), axon not served on chain."""
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}]
    for i in range(1, subnets + 1):
        objs.append({
            "apiVersion": "tensorfleet.io/v1alpha1", "kind": "Subnet",
            "metadata": {"name": f"sn{i}", "namespace": NS},
            "spec": {"netuid": i, "endpoints": [chain_endpoint], "pollIntervalSeconds": poll_seconds,
                     "registration": {"maxBurnTao": "1"}},
        })
    for name, seed_hex, netuid in fleet:
        objs.append({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": f"{name}-hotkey", "namespace": NS},
            "stringData": {"seed": seed_hex},
        })
        objs.append({
            "apiVersion": "tensorfleet.io/v1alpha1", "kind": "Neuron",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"subnet": f"sn{netuid}", "role": "miner", "image": IMAGE,
                     "wallet": {"generateHotkey": False},
                     "registration": {"mode": "external"},
                     "axon": {"serve": False, "expose": "None"}},
        })
    return objs


def _b64_secret(obj: dict) -> dict:
    import base64
    if "stringData" in obj:
        obj = dict(obj)
        obj["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in obj.pop("stringData").items()}
    return obj


def neuron_converged(n: dict) -> bool:
    """Ready per API.md: phase Running, condition Ready=True for the current generation, and the
    chain figures written to status."""
    st = n.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or [])
    return (st.get("phase") == "Running" and ready and st.get("chain") is not None
            and st.get("observedGeneration") == n["metadata"].get("generation"))


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


def self_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Kubelet(threading.Thread):
    """Creates `<sts>-0` Running/Ready for every StatefulSet scaled to 1, as the StatefulSet
    controller and kubelet would; and counts converged Neurons for the harness."""

    def __init__(self, cluster: Cluster, interval: float = 0.25):
        super().__init__(name="kubelet", daemon=True)
        self.cluster, self.interval = cluster, interval
        self.created: set[str] = set()
        self.converged = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            wanted, self.converged = self.cluster._call(self._scan)
            for sts in wanted:
                self.cluster.kubelet_create_pod_for(sts)
                self.created.add(sts["metadata"]["name"])
            self.stop.wait(self.interval)

    def _scan(self) -> tuple[list[dict], int]:
        """Runs on the emulator's loop and reads its store in place: `Cluster.list` deep-copies
        every object, which at 1000 Neurons cost the emulator more than the operator's requests."""
        sts_key = self.cluster.registry.find("statefulsets").key
        nrn_key = self.cluster.registry.find("neurons").key
        wanted, converged = [], 0
        for (res, ns, name), o in self.cluster.emu.objects.items():
            if o.deleted or ns != NS:
                continue
            if (res.group, res.version, res.plural) == sts_key:
                if o.raw["spec"].get("replicas") == 1 and name not in self.created:
                    wanted.append(copy.deepcopy(o.raw))
            elif (res.group, res.version, res.plural) == nrn_key:
                converged += neuron_converged(o.raw)
        return wanted, converged


def settle(cluster: Cluster, minimum: float, writes_only: bool, quiet: float = 5.0,
           maximum: float = 300.0) -> float:
    """Waits at least `minimum` seconds and until the operator sent no request (watches aside; only
    writes count when `writes_only`) for `quiet` seconds: reconciles still queued when the last
    Neuron turned Ready are not steady state. The baseline re-reads every poll interval by design,
    so only its writes can go quiet."""
    start = time.monotonic()
    counted = WRITE_VERBS if writes_only else WRITE_VERBS | {"get", "list"}
    count = lambda: sum(r.verb in counted for r in cluster.requests)  # noqa: E731
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
    by = {}
    for r in records:
        key = f"{r.verb} {r.resource}{'/' + r.subresource if r.subresource else ''}"
        by[key] = by.get(key, 0) + 1
    return {"total": len(records), "reads": len(records) - len(writes), "writes": len(writes),
            "by_kind": dict(sorted(by.items(), key=lambda kv: -kv[1]))}


def run_once(*, fleet, chain, subnets: int, poll_seconds: int, latency_ms: float,
             steady_seconds: float, settle_seconds: float, converge_timeout: float,
             baseline: bool = False, profile_top: int = 0, log=print) -> dict:
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="tf-bench-"))
    cluster = Cluster(REPO / "crds", workdir).start()
    profiler = cProfile.Profile() if profile_top else None
    op = None
    kubelet = Kubelet(cluster)
    try:
        for obj in fleet_objects(fleet, chain.endpoint, subnets, poll_seconds):
            cluster.apply(_b64_secret(obj))
        cluster.ensure_node("gpu-node-1")
        cluster.set_latency(latency_ms / 1000)
        chain.reset_calls()
        if profiler:  # cProfile is per thread: enable it inside the emulator's event-loop thread
            cluster._loop.call_soon_threadsafe(profiler.enable)
        harness_cpu0 = self_cpu_seconds()
        env = {"RUST_LOG": "info"}
        if baseline:  # benchmark-only switch, honoured by fake-chain builds (controller/chain_view.rs)
            env["TF_BENCH_CHAIN_READS"] = "per-neuron"
        op = Operator(cluster.kubeconfig, workdir, env=env)
        t0 = time.monotonic()
        op.start(ready_timeout=30)
        idle_kib = rss_kib(op.proc.pid, "VmRSS")
        kubelet.start()
        n = len(fleet)
        last_report = t0
        while kubelet.converged < n:
            now = time.monotonic()
            if now - t0 > converge_timeout:
                raise RuntimeError(f"not converged after {converge_timeout}s: "
                                   f"{kubelet.converged}/{n} Ready; log tail:\n{op.tail(20)}")
            if now - last_report > 10:
                log(f"  {now - t0:6.1f}s: {kubelet.converged}/{n} Neurons Ready, "
                    f"{len(kubelet.created)} pods")
                last_report = now
            time.sleep(0.05)
        converge_s = time.monotonic() - t0
        reqs_converge = cluster.requests
        chain_converge = chain.calls()
        cpu = {"operator_s": proc_cpu_seconds(op.proc.pid),
               "harness_and_emulator_s": self_cpu_seconds() - harness_cpu0}
        log(f"  converged in {converge_s:.2f}s; settling (>= {settle_seconds}s, until 5 s without "
            f"{'writes' if baseline else 'requests'}), then steady {steady_seconds}s")
        settle_s = settle(cluster, settle_seconds, writes_only=baseline)
        settle_reqs = cluster.requests[len(reqs_converge):]
        mark = len(reqs_converge) + len(settle_reqs)
        chain.reset_calls()
        time.sleep(steady_seconds)
        steady_chain = chain.calls()
        steady_reqs = cluster.requests[mark:]
        metrics = fetch_metrics(op)
        peak_kib, now_kib = rss_kib(op.proc.pid), rss_kib(op.proc.pid, "VmRSS")
        if profiler:
            cluster._loop.call_soon_threadsafe(profiler.disable)
            time.sleep(0.2)
        result = {
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
            "metrics_text": metrics,
        }
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile_top)
            result["emulator_profile"] = out.getvalue()
        return result
    finally:
        kubelet.stop.set()
        if kubelet.is_alive():
            kubelet.join(5)
        if op is not None:
            code = op.stop(timeout=20)
            if code != 0:
                log(f"  operator exited {code}; log: {op.log_path}")
        cluster.stop()
