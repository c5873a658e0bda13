"""Metrics: promtool lints the operator's /metrics text (a captured one from $TF_METRICS_SAMPLE and
a hand-written one built from the agreed names), and the Grafana dashboard queries only agreed
metrics with PromQL that promtool parses."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from packaging_support import CONFIG, HERE, require_module, require_tool

L_NEURON = {"namespace", "neuron", "subnet", "netuid", "role"}
L_GPU = {"node", "gpu", "uuid", "model"}
# family name (as in `# TYPE`) -> (type, label names); from BRIEF.md "Metric names (agreed)".
AGREED = {
    **{f"tensorfleet_neuron_{n}": ("gauge", L_NEURON) for n in (
        "registered", "uid", "stake_rao", "incentive", "dividends", "emission_rao",
        "blocks_since_update", "axon_served")},
    "tensorfleet_registration_spent_rao": ("counter", {"namespace", "subnet"}),
    "tensorfleet_registrations": ("counter", {"namespace", "subnet", "outcome"}),
    "tensorfleet_operator_restarts": ("counter", {"namespace", "neuron", "reason"}),
    "tensorfleet_chain_request_errors": ("counter", {"endpoint", "method", "error"}),
    "tensorfleet_reconcile_errors": ("counter", {"controller", "error"}),
    # issue 16: canary rollbacks, by reason (CanaryRegressed, CanaryCrashLooping, CanaryNotReady)
    "tensorfleet_neuronset_rollbacks": ("counter", {"namespace", "neuronset", "reason"}),
    "tensorfleet_chain_request_duration_seconds": ("histogram", {"endpoint", "method"}),
    "tensorfleet_chain_head_block": ("gauge", {"endpoint"}),
    # issue 17: each endpoint of a Subnet's pool (a Subnet's own view of a shared endpoint)
    "tensorfleet_chain_endpoint_state": ("gauge", {"namespace", "subnet", "endpoint", "state"}),
    "tensorfleet_chain_endpoint_behind_blocks": ("gauge", {"namespace", "subnet", "endpoint"}),
    "tensorfleet_chain_snapshots_discarded": ("counter", {"namespace", "subnet", "endpoint"}),
    "tensorfleet_reconcile_duration_seconds": ("histogram", {"controller"}),
    "tensorfleet_gpus": ("gauge", {"node"}),
    **{f"tensorfleet_gpu_{n}": ("gauge", L_GPU) for n in (
        "healthy", "temperature_celsius", "power_watts", "utilization_ratio", "memory_used_bytes",
        "memory_total_bytes")},
    "tensorfleet_gpu_ecc_errors": ("counter", L_GPU),
    "tensorfleet_gpu_xid_events": ("counter", L_GPU),
}
# The GPU families are the agent's (`tensorfleet agent` serves them), not the operator's.
OPERATOR_FAMILIES = {n for n in AGREED if not n.startswith(("tensorfleet_gpu_", "tensorfleet_gpus"))}
# promtool lint findings tolerated on the hand sample: none (the GPU count gauge is
# `tensorfleet_gpus`, since a gauge named `..._count` reads as a histogram series).
KNOWN_LINT: set = set()
HAND_SAMPLE = HERE / "metrics" / "hand-sample.openmetrics.txt"
DASHBOARD = CONFIG / "grafana" / "tensorfleet-fleet.json"


def to_prometheus_text(openmetrics: str) -> str:
    """OpenMetrics (what prometheus-client serves) -> Prometheus text format 0.0.4, the only format
    promtool's `check metrics` parses: counter families are named with their `_total` suffix,
    `# UNIT` and `# EOF` lines, `_created` series and exemplars are dropped."""
    counters = set(re.findall(r"(?m)^# TYPE (\S+) counter$", openmetrics))
    out = []
    for line in openmetrics.splitlines():
        if line == "# EOF" or line.startswith("# UNIT "):
            continue
        m = re.match(r"^# (HELP|TYPE) (\S+)( .*)?$", line)
        if m and m.group(2) in counters:
            line = f"# {m.group(1)} {m.group(2)}_total{m.group(3) or ''}"
        elif not line.startswith("#"):
            name = re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            if name.endswith("_created"):
                continue
            line = re.sub(r" # \{.*$", "", line)
        out.append(line)
    return "\n".join(out) + "\n"


def promtool_check_metrics(text: str) -> subprocess.CompletedProcess:
    exe = require_tool("promtool", "apt-get install -y prometheus (Debian) provides promtool")
    return subprocess.run([exe, "check", "metrics"], input=text, capture_output=True, text=True)


def parse_openmetrics(text: str) -> dict[str, tuple[str, list[set[str]]]]:
    """Strict OpenMetrics parse: family -> (type, [label names of each sample, minus le])."""
    parser = require_module("prometheus_client.openmetrics.parser")
    fams = {}
    for f in parser.text_string_to_metric_families(text):
        fams[f.name] = (f.type, [set(s.labels) - {"le"} for s in f.samples])
    return fams


def check_sample(text: str, label: str, require: set[str], allowed_lint: frozenset = frozenset()):
    fams = parse_openmetrics(text)  # raises on any OpenMetrics syntax error
    ours = {n: v for n, v in fams.items() if n.startswith("tensorfleet_")}
    missing = require - set(ours)
    assert not missing, f"{label}: agreed metric families missing: {sorted(missing)}"
    for name, (typ, label_sets) in ours.items():
        if name not in AGREED:
            continue  # extra metrics are allowed; the agreed ones must keep their shape
        want_type, want_labels = AGREED[name]
        assert typ == want_type, f"{label}: {name} is a {typ}, agreed {want_type}"
        bad = [s for s in label_sets if s != want_labels]
        assert not bad, f"{label}: {name} labels {bad[0]} != agreed {sorted(want_labels)}"
    proc = promtool_check_metrics(to_prometheus_text(text))
    problems = {l for l in (proc.stdout + proc.stderr).splitlines() if l.strip()}
    if proc.returncode == 3 and problems and problems <= allowed_lint:
        return problems  # lint findings only, all of them known
    assert proc.returncode == 0, f"{label}: promtool check metrics:\n{proc.stdout}{proc.stderr}"
    return set()


def test_hand_sample_passes_promtool_and_covers_agreed_names():
    found = check_sample(HAND_SAMPLE.read_text(), HAND_SAMPLE.name, set(AGREED), frozenset(KNOWN_LINT))
    # The allowance goes when the name is fixed: a stale entry fails here.
    assert found == KNOWN_LINT, f"KNOWN_LINT is stale: promtool now reports {found}"


def test_hand_sample_operator_part_passes_promtool_cleanly():
    """The operator's families (everything but the agent's) pass with no allowance at all."""
    text = HAND_SAMPLE.read_text()
    blocks = re.split(r"(?m)^(?=# HELP )", text.replace("# EOF\n", ""))
    operator_only = "".join(b for b in blocks if not b.startswith("# HELP tensorfleet_gpu_")) + "# EOF\n"
    check_sample(operator_only, "operator part", OPERATOR_FAMILIES)


def captured_sample() -> tuple[str, str]:
    p = os.environ.get("TF_METRICS_SAMPLE")
    if not p or not Path(p).is_file():
        pytest.skip("TF_METRICS_SAMPLE is unset or names no file: capture the operator's /metrics "
                    "in a test run and point TF_METRICS_SAMPLE at it")
    return p, Path(p).read_text()


def test_captured_operator_metrics_pass_promtool():
    """promtool, strict OpenMetrics parse, and agreed type and labels for the families present."""
    label, text = captured_sample()
    check_sample(text, label, set())


def test_captured_operator_metrics_cover_the_agreed_families():
    """Every agreed operator family was served by some operator of the suite (the e2e conftest
    merges every scrape's families: prometheus-client omits a family until its first sample), so
    no dashboard panel stays empty for want of a metric."""
    label, text = captured_sample()
    present = set(parse_openmetrics(text))
    missing = sorted(OPERATOR_FAMILIES - present)
    assert not missing, f"{label}: agreed operator metrics not served: {missing}"


@pytest.mark.parametrize("breakage,needle", [
    # A counter without `_total` and without HELP: promtool's lint must reject it.
    (lambda t: t.replace("# EOF\n", "# TYPE tensorfleet_bad_things counter\ntensorfleet_bad_things 1\n# EOF\n"), "tensorfleet_bad_things"),
    # Non-base-unit naming: promtool flags milliseconds.
    (lambda t: t.replace("# EOF\n", "# HELP tensorfleet_lag_milliseconds Lag.\n# TYPE tensorfleet_lag_milliseconds gauge\ntensorfleet_lag_milliseconds 3\n# EOF\n"), "tensorfleet_lag_milliseconds"),
])
def test_promtool_rejects_broken_metrics(breakage, needle):
    proc = promtool_check_metrics(to_prometheus_text(breakage(HAND_SAMPLE.read_text())))
    assert proc.returncode != 0 and needle in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_shape_check_rejects_label_drift():
    drifted = HAND_SAMPLE.read_text().replace('reason="WeightsStale"', 'cause="WeightsStale"')
    with pytest.raises(AssertionError, match="tensorfleet_operator_restarts labels"):
        check_sample(drifted, "drifted", set(AGREED))


# ---- the dashboard ----

def dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    exprs = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            exprs.append(t["expr"])
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            exprs.append(re.sub(r"^label_values\((.*), \w+\)$", r"\1", v["query"]["query"]))
    return exprs


def family_of(series: str) -> str | None:
    if series in AGREED:
        return series
    for suffix in ("_total", "_bucket", "_sum", "_count"):
        base = series[: -len(suffix)] if series.endswith(suffix) else None
        if base in AGREED:
            typ = AGREED[base][0]
            if (suffix == "_total") == (typ == "counter") and (suffix == "_total" or typ == "histogram"):
                return base
    return None


def test_dashboard_uses_only_agreed_metrics():
    used = {s for e in dashboard_exprs() for s in re.findall(r"\btensorfleet_\w+", e)}
    unknown = sorted(s for s in used if family_of(s) is None)
    assert not unknown, f"dashboard queries metrics nobody agreed on: {unknown}"
    families = {family_of(s) for s in used}
    for must in ("tensorfleet_neuron_stake_rao", "tensorfleet_neuron_incentive",
                 "tensorfleet_neuron_emission_rao", "tensorfleet_neuron_blocks_since_update",
                 "tensorfleet_registrations", "tensorfleet_registration_spent_rao",
                 "tensorfleet_operator_restarts"):
        assert must in families, f"dashboard has no panel on {must}"


def test_dashboard_queries_parse(tmp_path):
    """promtool parses every query (template variables replaced by what Grafana would send)."""
    rules = {"groups": [{"name": "dashboard", "rules": []}]}
    for i, e in enumerate(dashboard_exprs()):
        q = re.sub(r'"\$\w+"', '".*"', e).replace("$__rate_interval", "5m")
        rules["groups"][0]["rules"].append({"record": f"dashboard:query_{i}", "expr": q})
    f = tmp_path / "rules.yaml"
    f.write_text(json.dumps(rules))
    exe = require_tool("promtool", "apt-get install -y prometheus (Debian) provides promtool")
    proc = subprocess.run([exe, "check", "rules", str(f)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(rules['groups'][0]['rules'])} rules found" in proc.stdout


def test_dashboard_panels_are_well_formed():
    dash = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    names = {v["name"] for v in dash["templating"]["list"]}
    for e in dashboard_exprs():
        for var in re.findall(r"\$(\w+)", e):
            assert var in names | {"__rate_interval"}, f"undefined variable ${var} in {e}"
    for p in dash["panels"]:
        if p["type"] != "row":
            assert p["targets"] and p["datasource"]["uid"] == "${datasource}", p["title"]
