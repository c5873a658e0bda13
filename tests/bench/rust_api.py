"""The Rust API emulator (tests/bench/apiserver, binary `tensorfleet-bench-apiserver`) as the
benchmark drives it: started on a free port with its built-in kubelet, a kubeconfig for the
operator, bulk loading, the request log, convergence counts and its CPU time."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import time
import urllib.request
from dataclasses import dataclass

from cluster import write_kubeconfig

REPO = pathlib.Path(__file__).resolve().parents[2]


def binary_path() -> pathlib.Path:
    """`TF_BENCH_APISERVER_BIN`, else `$CARGO_TARGET_DIR` (or `target/`) `/release/...`."""
    if os.environ.get("TF_BENCH_APISERVER_BIN"):
        return pathlib.Path(os.environ["TF_BENCH_APISERVER_BIN"])
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    return (target if target.is_absolute() else REPO / target) / "release" / "tensorfleet-bench-apiserver"


@dataclass
class Record:
    """One logged request, with the fields `RequestRecord` (tests/e2e/requestlog.py) has."""

    verb: str
    resource: str | None
    subresource: str | None
    namespace: str | None
    name: str | None
    code: int
    t: float

    @property
    def status(self) -> int:
        return self.code


def bench_node(name: str = "gpu-node-1", external_ip: str = "203.0.113.7") -> dict:
    """A Ready GPU Node as `Cluster.ensure_node` registers it."""
    cap = {"cpu": "32", "memory": "256Gi", "pods": "110", "nvidia.com/gpu": "1"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "nvidia.com/gpu.present": "true"}},
        "status": {
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"},
                          {"type": "ExternalIP", "address": external_ip},
                          {"type": "Hostname", "address": name}],
            "capacity": cap, "allocatable": cap,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    }


class RustApiServer:
    def __init__(self, workdir: pathlib.Path, crd_dir: pathlib.Path = REPO / "crds", latency_ms: float = 0.0,
                 kubelet: bool = True, binary: pathlib.Path | None = None, extra_args=()):
        self.binary = pathlib.Path(binary or binary_path())
        self.workdir = pathlib.Path(workdir)
        self.args = [str(self.binary), "--port", "0", "--crds", str(crd_dir), "--latency-ms", str(latency_ms),
                     *(["--kubelet"] if kubelet else []), *extra_args]
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.kubeconfig = self.workdir / "kubeconfig"
        self.log_path = self.workdir / "apiserver.log"

    def start(self, timeout: float = 10.0) -> "RustApiServer":
        if not self.binary.exists():
            raise FileNotFoundError(f"{self.binary} missing: cargo build --all-features --bins "
                                    "(or set TF_BENCH_APISERVER_BIN)")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline().decode().strip()  # `listening on 127.0.0.1:PORT`
        if not line.startswith("listening on ") or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"bench apiserver did not start ({line!r}); log: {self.log_path}")
        self.port = int(line.rsplit(":", 1)[1])
        write_kubeconfig(self.kubeconfig, self.port)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body=None, ctype: str = "application/json", timeout: float = 60):
        """One HTTP request; returns (status, decoded JSON body)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": ctype})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def _ok(self, method: str, path: str, body=None):
        code, out = self.call(method, path, body)
        if code >= 300:
            raise RuntimeError(f"{method} {path}: {code} {out}")
        return out

    def load(self, objects: list[dict]) -> int:
        """Creates the objects in order (status kept; Secret stringData into data)."""
        return self._ok("POST", "/bench/load", objects)["created"]

    def requests(self, since: int = 0) -> list[Record]:
        return [Record(**r) for r in self._ok("GET", f"/bench/requests?since={since}")]

    def request_counts(self) -> dict:
        """{"total": N, "by_verb": {verb: n}} without fetching the log."""
        return self._ok("GET", "/bench/requests/count")

    def converged(self, namespace: str) -> tuple[int, int]:
        out = self._ok("GET", f"/bench/converged?namespace={namespace}")
        return out["converged"], out["neurons"]

    def cpu_seconds(self) -> float:
        fields = pathlib.Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "_log", None):
            self._log.close()
