"""Runs the real `tensorfleet run` binary against the emulator and reads its JSON logs."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]


def binary_path() -> pathlib.Path:
    """`TF_BIN`, else `$CARGO_TARGET_DIR/debug/tensorfleet`, else `<repo>/target/debug/tensorfleet`."""
    if os.environ.get("TF_BIN"):
        return pathlib.Path(os.environ["TF_BIN"])
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    return target / "debug" / "tensorfleet"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Operator:
    def __init__(self, kubeconfig: pathlib.Path, workdir: pathlib.Path, extra_args=(), env=None):
        self.metrics_port = free_port()
        self.log_path = workdir / "operator.log"
        self.args = [str(binary_path()), "--log-format", "json", "run",
                     "--metrics-addr", f"127.0.0.1:{self.metrics_port}", *extra_args]
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "RUST_LOG": "info,tensorfleet=debug",
                    "RUST_BACKTRACE": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, ready_timeout: float = 20.0) -> "Operator":
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"operator exited with {self.proc.returncode} at startup:\n{self.tail()}")
            if self.http_get("/healthz") is not None:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"operator not healthy within {ready_timeout}s:\n{self.tail()}")

    def http_get(self, path: str) -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}{path}", timeout=2) as r:
                return r.read().decode()
        except OSError:
            return None

    def metrics(self) -> str:
        return self.http_get("/metrics") or ""

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then the exit code (killed and -9 after `timeout`)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return -9
        finally:
            self._log.close()

    def text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def logs(self) -> list[dict]:
        """The JSON log lines (anything else, e.g. a panic message, is skipped)."""
        out = []
        for line in self.text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out
