"""Fixtures for the end-to-end tests: a fresh API emulator per test, the real operator binary
against it, and helpers acting as admin, kubelet and garbage collector."""

import dataclasses
import json
import os
import pathlib
import re

import pytest

from cluster import Cluster
from hygiene import Hygiene, redact
from operator_proc import REPO, Operator, binary_path
from requestlog import AGENT_TOKEN


@pytest.fixture(autouse=True)
def secret_hygiene(tmp_path: pathlib.Path):
    """Every test: no key material from any Secret it stored (every version, see `hygiene.py`), nor
    the suite's constants and test vectors, in any log under tmp_path (operators, agents), any
    Event or any Subnet/Neuron/NeuronSet. A hit fails the test naming the key and the place,
    never the value."""
    h = Hygiene(tmp_path)
    yield h
    leaks = h.leaks()
    if leaks:
        pytest.fail("secret material leaked (values not shown):\n  " + "\n  ".join(leaks), pytrace=False)


@pytest.fixture
def cluster(tmp_path: pathlib.Path, secret_hygiene):
    c = Cluster(REPO / "crds", tmp_path).start()
    try:
        yield c
    finally:
        try:
            secret_hygiene.record(c)  # operators have stopped: their fixture depends on this one
        finally:
            c.stop()


# Thin aliases, so a test can ask for exactly the helper it uses.
def _alias(name: str):
    @pytest.fixture(name=name)
    def helper(cluster):
        return getattr(cluster, name)
    return helper


for _name in ("apply", "get", "wait_for", "kubelet_create_pod_for", "gc"):
    globals()[f"_{_name}_fixture"] = _alias(_name)


@pytest.fixture
def start_operator(cluster, tmp_path, request, secret_hygiene):
    """Starts `tensorfleet run` (more than once if a test restarts it); at teardown each one still
    running gets SIGTERM and must exit 0 within 10 s."""
    if not binary_path().exists():
        pytest.fail(f"operator binary {binary_path()} missing: build it with `cargo build` "
                    "(or set TF_BIN / CARGO_TARGET_DIR)")
    started: list[Operator] = []

    def start(*extra_args, env=None) -> Operator:
        workdir = tmp_path / f"operator-{len(started)}"
        workdir.mkdir()
        op = Operator(cluster.kubeconfig, workdir, extra_args, env)
        started.append(op)
        return op.start()

    yield start
    if getattr(request.node, "e2e_failed", False):
        needles = secret_hygiene.needles(cluster)
        for op in started:
            print(f"--- operator log tail ({op.log_path}) ---\n{redact(needles, op.tail(60))}")
    for op in started:
        if op.proc is not None and op.proc.poll() is None:
            _keep_metrics_sample(op.metrics())
    _append_request_log(cluster.requests)
    for op in started:
        running = op.proc is not None and op.proc.poll() is None
        code = op.stop(timeout=10)
        if running:
            assert code == 0, (f"operator exited {code} on SIGTERM; log tail:\n"
                               f"{redact(secret_hygiene.needles(cluster), op.tail())}")


def _append_request_log(records) -> None:
    """For the packaging suite's RBAC check: every request an operator made in this test, appended
    to the JSON list at $TF_E2E_REQUEST_LOG (only tests that ran an operator record anything)."""
    path = os.environ.get("TF_E2E_REQUEST_LOG")
    records = [r for r in records if r.user != AGENT_TOKEN]
    if not path or not records:
        return
    p = pathlib.Path(path)
    log = json.loads(p.read_text()) if p.is_file() else []
    # kubectl run by a test (e.g. `kubectl scale`) acts as a user, not as the operator
    log.extend(dataclasses.asdict(r) for r in records if not r.user_agent.startswith("kubectl"))
    p.write_text(json.dumps(log))


def _keep_metrics_sample(text: str) -> None:
    """For the packaging suite's promtool check: every metric family any operator of the suite
    served, at $TF_METRICS_SAMPLE. prometheus-client leaves a family out until its first sample,
    so one scrape rarely shows them all (errors only appear in tests that cause errors)."""
    path = os.environ.get("TF_METRICS_SAMPLE")
    if not path or not text:
        return
    p = pathlib.Path(path)
    p.write_text(merge_openmetrics(p.read_text() if p.is_file() else "", text))


def _families(text: str) -> dict[str, list[str]]:
    """OpenMetrics text -> family name -> its lines (metadata, then samples), in order."""
    fams: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line == "# EOF" or not line:
            continue
        meta = re.match(r"^# (?:HELP|TYPE|UNIT) (\S+)", line)
        if meta:
            current = meta.group(1)
            fams.setdefault(current, []).append(line)
        elif current is not None:
            fams[current].append(line)
    return fams


def merge_openmetrics(old: str, new: str) -> str:
    """The union of two scrapes' families; where both have one, the version with more samples."""
    merged = _families(old)
    for name, lines in _families(new).items():
        if len(lines) > len(merged.get(name, [])):
            merged[name] = lines
    return "".join(line + "\n" for lines in merged.values() for line in lines) + "# EOF\n"


@pytest.fixture
def operator(start_operator):
    return start_operator()


@pytest.fixture
def start_chain():
    """Starts the fake chain (`$TF_FAKECHAIN_BIN`, else found as `fakechain.find_binary` does)
    with a genesis config (and a block every `block_ms`, else only on `advance`); stopped at
    teardown. Skips, saying why, when the binary is missing."""
    from fakechain import FakeChainServer
    servers = []

    def start(config, block_ms=None):
        try:
            server = FakeChainServer(binary=os.environ.get("TF_FAKECHAIN_BIN") or None, config=config,
                                     block_ms=block_ms)
            handle = server.start()
        except FileNotFoundError as e:
            pytest.skip(f"fake chain binary missing: {e}")
        servers.append(server)
        return handle

    yield start
    for server in servers:
        server.stop()


def pytest_collection_modifyitems(items):
    """Every e2e test is bounded even when pytest runs from the repo root (no tests/e2e/pytest.ini)."""
    here = pathlib.Path(__file__).parent
    for item in items:
        if here in pathlib.Path(item.fspath).parents and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(180))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.e2e_failed = report.failed
