"""Every rendered manifest and every file under config/ against Kubernetes schemas
(`kubernetes-validate --strict`, two minors), and custom resources against the CRDs' schemas."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from packaging_support import (ALL_VALUE_SETS, CONFIG, FLEET_CHART, KUBE_MINORS, ROOT, crd_schemas, kustomize,
                      load_values, rendered_objects, require_module, require_tool)

# Kinds Kubernetes itself has no schema for: CRs are checked against our CRDs below; the others
# belong to add-ons (Prometheus Operator, Argo CD) and to kustomize.
NOT_CORE = {
    ("tensorfleet.io/v1alpha1", "Subnet"), ("tensorfleet.io/v1alpha1", "Neuron"),
    ("tensorfleet.io/v1alpha1", "NeuronSet"), ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("argoproj.io/v1alpha1", "Application"),
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
}
# Files under config/ that are not manifests but inputs of a kustomization there.
GENERATOR_INPUTS = {"argocd/health/tensorfleet.lua", "grafana/tensorfleet-fleet.json"}


def kubernetes_validate(files: list[Path], kube: str) -> None:
    """Runs the CLI; fails on any ERROR and on a missing schema for a kind outside NOT_CORE."""
    exe = require_tool("kubernetes-validate", "pip install -r tests/packaging/requirements.txt")
    proc = subprocess.run([exe, "--strict", "-k", kube, *map(str, files)], capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    errors = [l for l in out.splitlines() if l.startswith(("ERROR", "FATAL"))]
    missing = [l for l in out.splitlines() if l.startswith("WARN")
               and not any(f"kind {k} with api version {a} " in l for a, k in NOT_CORE)]
    assert not errors and not missing, "\n".join(errors + missing)
    passed = [l for l in out.splitlines() if l.startswith("INFO") and " passed " in l]
    expected = sum(1 for f in files for d in yaml.safe_load_all(f.read_text())
                   if d and (d["apiVersion"], d["kind"]) not in NOT_CORE)
    assert len(passed) == expected, out
    assert proc.returncode == 0, out


def write_docs(objs: list[dict], path: Path) -> Path:
    path.write_text(yaml.safe_dump_all(objs, sort_keys=False))
    return path


def kustomization_dirs() -> list[Path]:
    dirs = sorted(p.parent for p in CONFIG.rglob("kustomization.yaml"))
    if not (CONFIG / "rbac" / "kustomization.yaml").exists():
        # config/default pulls in config/rbac, which another branch provides.
        dirs = [d for d in dirs if d.name != "default"]
    return dirs


@pytest.mark.parametrize("kube", KUBE_MINORS)
@pytest.mark.parametrize("vid,chart,values_file", ALL_VALUE_SETS, ids=[v[0] for v in ALL_VALUE_SETS])
def test_rendered_charts_validate(vid, chart, values_file, kube, tmp_path):
    objs = rendered_objects(chart, load_values(values_file))
    if chart.name == "tensorfleet":
        with __import__("packaging_support").helm().Chart.load(str(chart)) as c:
            objs += [yaml.safe_load(crd["data"]) for crd in c.crds]
    kubernetes_validate([write_docs(objs, tmp_path / f"{vid}.yaml")], kube)


@pytest.mark.parametrize("kube", KUBE_MINORS)
def test_config_files_validate(kube, tmp_path):
    files = sorted(p for p in CONFIG.rglob("*") if p.is_file())
    assert files
    manifests, built, unclassified = [], [], []
    for f in files:
        rel = f.relative_to(CONFIG).as_posix()
        if f.suffix in (".yaml", ".yml"):
            docs = [d for d in yaml.safe_load_all(f.read_text()) if d]
            assert docs and all("apiVersion" in d and "kind" in d for d in docs), f"{rel}: not a manifest"
            manifests.append(f)
        elif rel in GENERATOR_INPUTS or f.name == "README.md":
            continue
        else:
            unclassified.append(rel)
    assert not unclassified, f"files under config/ nothing validates: {unclassified}"
    for d in kustomization_dirs():
        built.append(write_docs(kustomize(d), tmp_path / (d.relative_to(CONFIG).as_posix().replace("/", "_") + ".yaml")))
    kubernetes_validate(manifests + built, kube)


def test_every_generator_input_is_referenced():
    text = "".join(p.read_text() for p in CONFIG.rglob("kustomization.yaml"))
    for rel in GENERATOR_INPUTS:
        assert (CONFIG / rel).exists(), rel
        assert Path(rel).name in text, f"{rel} is used by no kustomization"


def test_default_kustomization_builds():
    if not (CONFIG / "rbac" / "kustomization.yaml").exists():
        pytest.skip("config/rbac (operator core's branch) not merged yet; config/default needs it")
    objs = kustomize(CONFIG / "default")
    kinds = {o["kind"] for o in objs}
    assert {"CustomResourceDefinition", "Deployment", "ServiceAccount"} <= kinds
    assert kinds & {"ClusterRole", "Role"}
    namespaced = [o for o in objs if o["kind"] not in {"CustomResourceDefinition", "ClusterRole",
                                                       "ClusterRoleBinding", "Namespace"}]
    assert {o["metadata"].get("namespace") for o in namespaced} == {"tensorfleet-system"}


# ---- custom resources against the CRD schemas ----

def _strict(schema: dict) -> dict:
    """The CRD schema with unknown fields rejected, as `kubectl apply --validate=strict` does
    (the API server would otherwise prune them silently)."""
    s = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node \
                    and not node.get("x-kubernetes-preserve-unknown-fields") \
                    and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(s)
    s.setdefault("properties", {}).update({"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                           "metadata": {"type": "object"}})
    return s


def cr_errors(obj: dict) -> list[str]:
    osv = require_module("openapi_schema_validator")
    schema = crd_schemas().get((obj["apiVersion"], obj["kind"]))
    if schema is None:
        return [f"no CRD for {obj['apiVersion']} {obj['kind']}"]
    v = osv.OAS30Validator(_strict(schema))
    errs = [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in v.iter_errors(obj)]
    # The one CEL rule a JSON schema cannot say (x-kubernetes-validations on Neuron spec).
    spec = obj.get("spec", {}).get("template") if obj["kind"] == "NeuronSet" else obj.get("spec")
    if spec and spec.get("stake") is not None and spec.get("role") != "validator":
        errs.append("spec: stake is only allowed on validators")
    name = obj.get("metadata", {}).get("name", "")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) or len(name) > 63:
        errs.append(f"metadata.name {name!r} is not a DNS label")
    return errs


def sample_files() -> list[Path]:
    return sorted((CONFIG / "samples").glob("*.yaml")) if (CONFIG / "samples").is_dir() else []


def crs_in(objs):
    return [o for o in objs if o["apiVersion"].startswith("tensorfleet.io/")]


@pytest.mark.parametrize("vid,values_file", [(i, v) for i, c, v in ALL_VALUE_SETS if c == FLEET_CHART])
def test_fleet_chart_crs_match_crds(vid, values_file):
    crs = crs_in(rendered_objects(FLEET_CHART, load_values(values_file), namespace="miners"))
    assert crs
    problems = {f"{o['kind']}/{o['metadata']['name']}": cr_errors(o) for o in crs}
    assert not any(problems.values()), problems


def test_samples_match_crds():
    files = sample_files()
    if not files:
        pytest.skip("config/samples/ (operator core's branch) not merged yet")
    problems = {}
    for f in files:
        docs = crs_in([d for d in yaml.safe_load_all(f.read_text()) if d])
        for o in docs:
            if errs := cr_errors(o):
                problems[f"{f.name}: {o['kind']}/{o['metadata'].get('name')}"] = errs
    assert not problems, problems
    kinds = {d["kind"] for f in files for d in yaml.safe_load_all(f.read_text()) if d}
    assert {"Subnet", "Neuron", "NeuronSet"} <= kinds, f"samples cover only {kinds}"


def test_invalid_samples_rejected():
    """config/samples/invalid/ holds manifests the API must refuse: the same check refuses each."""
    files = sorted((CONFIG / "samples" / "invalid").glob("*.yaml"))
    if not files:
        pytest.skip("config/samples/invalid/ (operator core's branch) not merged yet")
    accepted = [f.name for f in files
                if not any(cr_errors(o) for o in crs_in([d for d in yaml.safe_load_all(f.read_text()) if d]))]
    assert not accepted, f"invalid samples the CRD schemas accept: {accepted}"


@pytest.mark.parametrize("mutate,expect", [
    (lambda o: o["spec"].update(netuidd=3), "netuidd"),
    (lambda o: o["spec"]["registration"].update(maxBurnTao="1.5 TAO"), "does not match"),
    (lambda o: o["spec"].update(network="mainnet"), "is not one of"),
    (lambda o: o["spec"].pop("registration"), "'registration' is a required property"),
])
def test_cr_validation_rejects_bad_subnet(mutate, expect):
    ok = {"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Subnet", "metadata": {"name": "sn21"},
          "spec": {"netuid": 21, "registration": {"maxBurnTao": "1"}}}
    assert cr_errors(ok) == []
    mutate(ok)
    assert any(expect in e for e in cr_errors(ok)), cr_errors(ok)


def test_cr_validation_rejects_stake_on_miner():
    miner = {"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Neuron", "metadata": {"name": "m"},
             "spec": {"subnet": "sn21", "role": "miner", "image": "i:1", "stake": {"targetTao": "1"}}}
    assert "spec: stake is only allowed on validators" in cr_errors(miner)
