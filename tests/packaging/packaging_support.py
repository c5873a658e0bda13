"""Shared helpers for the packaging tests: repository paths, Helm rendering, tool lookup.
(Not a conftest.py: other suites have their own, and a unique module name keeps imports apart.)

Missing tools are failures with a clear message (the suite runner installs them), never skips;
only the two env-gated inputs (TF_E2E_REQUEST_LOG, TF_METRICS_SAMPLE) skip when absent.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OPERATOR_CHART = ROOT / "charts" / "tensorfleet"
FLEET_CHART = ROOT / "charts" / "neuron-fleet"
CONFIG = ROOT / "config"
KUBE_MINORS = ("1.30.0", "1.34.0")

# Value sets each chart is linted, rendered and validated with: (id, chart, values or None).
OPERATOR_VALUES = [
    ("operator-default", None),
    ("operator-namespaced-all-on", OPERATOR_CHART / "ci" / "namespaced-values.yaml"),
]
FLEET_VALUES = [
    ("fleet-default", None),
    ("fleet-gpu-miners", FLEET_CHART / "examples" / "gpu-miner-fleet.yaml"),
    ("fleet-validator-stake", FLEET_CHART / "examples" / "validator-with-stake.yaml"),
]
ALL_VALUE_SETS = [(i, OPERATOR_CHART, v) for i, v in OPERATOR_VALUES] + [
    (i, FLEET_CHART, v) for i, v in FLEET_VALUES
]


def require_module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as e:
        pytest.fail(
            f"Python package for '{name}' is missing ({e}); "
            f"install tests/packaging/requirements.txt",
            pytrace=False,
        )


def require_tool(name: str, hint: str) -> str:
    # Console scripts of the venv running pytest come first.
    local = Path(sys.executable).parent / name
    path = str(local) if local.exists() else shutil.which(name)
    if not path:
        pytest.fail(f"required tool '{name}' not found on PATH: {hint}", pytrace=False)
    return path


def helm():
    return require_module("helm_python")


def load_values(path: Path | None) -> dict | None:
    return None if path is None else yaml.safe_load(path.read_text())


def render(chart: Path, values: dict | None, namespace: str = "tensorfleet-system",
           name: str = "tf") -> dict[str, str]:
    """Template path -> rendered text (NOTES.txt included)."""
    h = helm()
    with h.Chart.load(str(chart)) as c:
        return c.render(values, name=name, namespace=namespace, is_install=True)


def split_docs(text: str) -> list[str]:
    return [d for d in re.split(r"(?m)^---\s*$", text) if yaml.safe_load(d)]


def rendered_objects(chart: Path, values: dict | None, **kw) -> list[dict]:
    out = []
    for path, text in sorted(render(chart, values, **kw).items()):
        if path.endswith("NOTES.txt"):
            continue
        out += [yaml.safe_load(d) for d in split_docs(text)]
    return out


def kustomize(directory: Path) -> list[dict]:
    kubectl = require_tool("kubectl", "kubectl (with built-in kustomize) is needed for `kubectl kustomize`")
    proc = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True)
    assert proc.returncode == 0, f"kubectl kustomize {directory} failed:\n{proc.stderr}"
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def crd_schemas() -> dict[str, dict]:
    """Kind -> openAPIV3Schema of the served version, from the top-level crds/."""
    out = {}
    for f in sorted((ROOT / "crds").glob("*.yaml")):
        crd = yaml.safe_load(f.read_text())
        for v in crd["spec"]["versions"]:
            if v.get("served"):
                out[(crd["spec"]["group"] + "/" + v["name"], crd["spec"]["names"]["kind"])] = v["schema"]["openAPIV3Schema"]
    return out
