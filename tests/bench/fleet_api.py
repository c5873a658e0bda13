"""The two API servers the benchmark can run against, behind one interface:

* `PythonApi`: the e2e emulator (tests/e2e/cluster.py) in this process, with a `Kubelet` thread
  here creating Pods and counting converged Neurons;
* `RustApi`: tests/bench/apiserver (`rust_api.RustApiServer`) in its own process, with its
  built-in kubelet and convergence count; its CPU is reported apart from the harness's.
"""

from __future__ import annotations

import base64
import copy
import pathlib
import resource
import threading

from cluster import Cluster
from operator_proc import REPO
from rust_api import RustApiServer, bench_node

NS = "miners"


def neuron_converged(n: dict) -> bool:
    """Ready per API.md: phase Running, condition Ready=True for the current generation, and the
    chain figures written to status."""
    st = n.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or [])
    return (st.get("phase") == "Running" and ready and st.get("chain") is not None
            and st.get("observedGeneration") == n["metadata"].get("generation"))


def self_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def b64_secret(obj: dict) -> dict:
    if "stringData" in obj:
        obj = dict(obj)
        obj["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in obj.pop("stringData").items()}
    return obj


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


class PythonApi:
    name = "python"

    def __init__(self, workdir: pathlib.Path, latency_ms: float, kubelet_delay_ms: float = 0.0):
        self.cluster = Cluster(REPO / "crds", workdir).start()
        self.kubeconfig = self.cluster.kubeconfig
        self.latency_ms = latency_ms
        self.kubelet = Kubelet(self.cluster)
        self.cpu0 = 0.0

    def load(self, objects: list[dict]) -> None:
        for obj in objects:
            self.cluster.apply(b64_secret(obj))
        self.cluster.ensure_node("gpu-node-1")
        self.cluster.set_latency(self.latency_ms / 1000)

    def begin(self) -> None:
        """The operator runs: start the kubelet."""
        self.kubelet.start()

    def mark_cpu(self) -> None:
        self.cpu0 = self_cpu_seconds()

    def cpu(self) -> dict:
        return {"harness_and_emulator_s": self_cpu_seconds() - self.cpu0}

    def converged(self) -> int:
        return self.kubelet.converged

    def progress(self) -> str:
        return f"{len(self.kubelet.created)} pods"

    def requests(self, since: int = 0) -> list:
        return self.cluster.requests[since:]

    def count(self, verbs: set[str]) -> int:
        return sum(r.verb in verbs for r in self.cluster.requests)

    def stop(self) -> None:
        self.kubelet.stop.set()
        if self.kubelet.is_alive():
            self.kubelet.join(5)
        self.cluster.stop()


class RustApi:
    name = "rust"

    def __init__(self, workdir: pathlib.Path, latency_ms: float, kubelet_delay_ms: float = 0.0):
        self.server = RustApiServer(workdir, latency_ms=latency_ms,
                                    extra_args=("--kubelet-delay-ms", str(kubelet_delay_ms))).start()
        self.kubeconfig = self.server.kubeconfig
        self.cpu0 = self.server_cpu0 = 0.0

    def load(self, objects: list[dict]) -> None:
        self.server.load([*objects, bench_node()])

    def begin(self) -> None:
        pass  # the server's built-in kubelet

    def mark_cpu(self) -> None:
        self.cpu0, self.server_cpu0 = self_cpu_seconds(), self.server.cpu_seconds()

    def cpu(self) -> dict:
        return {"apiserver_s": self.server.cpu_seconds() - self.server_cpu0,
                "harness_s": self_cpu_seconds() - self.cpu0}

    def converged(self) -> int:
        return self.server.converged(NS)[0]

    def progress(self) -> str:
        return f"{self.server.request_counts()['total']} requests"

    def requests(self, since: int = 0) -> list:
        return self.server.requests(since)

    def count(self, verbs: set[str]) -> int:
        by_verb = self.server.request_counts()["by_verb"]
        return sum(by_verb.get(v, 0) for v in verbs)

    def stop(self) -> None:
        self.server.stop()


BACKENDS = {"python": PythonApi, "rust": RustApi}
