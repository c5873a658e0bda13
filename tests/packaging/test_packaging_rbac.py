"""RBAC is exact: every request the operator made in the end-to-end suite (recorded by the API
emulator, file in $TF_E2E_REQUEST_LOG) is allowed by the chart's and config/rbac's rules, and no
rule grants a verb or resource never used unless a `rbac-justify:` comment says why."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pytest

from packaging_support import CONFIG, HERE, OPERATOR_CHART, render
from packaging_rbac import Request, check, grants_from_texts

SA = "tf-tensorfleet"
RELEASE_NS = "tensorfleet-system"

# What the operator needs (issue 6 and `tensorfleet run`): kube-rs controllers, server-side
# apply of children and status (an apply that creates is authorized as create too), NeuronSet
# members, restarts, Events, node reads, leader election.
def _grant(group, resources, verbs):
    return {(group, r, v) for r in resources for v in verbs}


NEEDED = (
    _grant("tensorfleet.io", ["subnets"], ["list", "watch"])
    | _grant("tensorfleet.io", ["neurons", "neuronsets"], ["list", "watch"])
    # fresh reads past the watch cache right after our own status write
    | _grant("tensorfleet.io", ["neurons", "neuronsets", "subnets"], ["get"])
    | _grant("tensorfleet.io", ["subnets/status", "neurons/status", "neuronsets/status"], ["patch"])
    | _grant("tensorfleet.io", ["neurons"], ["create", "patch", "delete"])
    # the ledger finalizer on NeuronSets (Neurons are patched already)
    | _grant("tensorfleet.io", ["neuronsets"], ["patch"])
    # the ledger: intents created before submission, outcomes written once (a merge patch on
    # status), never-submitted intents deleted, old resolved ones pruned
    | _grant("tensorfleet.io", ["spends"], ["get", "list", "watch", "create", "delete"])
    | _grant("tensorfleet.io", ["spends/status"], ["patch"])
    | _grant("apps", ["statefulsets"], ["list", "watch", "create", "patch", "delete"])
    | _grant("", ["services"], ["list", "watch", "create", "patch", "delete"])
    | _grant("", ["secrets"], ["get", "list", "watch", "create", "patch"])
    # a NeuronSet with replaceDeregistered deletes a replaced member's generated hotkey Secret
    | _grant("", ["secrets"], ["delete"])
    | _grant("", ["pods"], ["list", "watch", "delete"])
    | _grant("", ["nodes"], ["get", "list", "watch"])
    | _grant("events.k8s.io", ["events"], ["create", "patch"])
    | _grant("coordination.k8s.io", ["leases"], ["get", "create", "patch"])
)


def chart_grants(mode="cluster", namespaces=(), release_ns=RELEASE_NS):
    values = {"watch": {"mode": mode, "namespaces": list(namespaces)}} if mode == "namespaced" else None
    texts = {k: v for k, v in render(OPERATOR_CHART, values, namespace=release_ns).items()
             if k.endswith("rbac.yaml")}
    return grants_from_texts(texts, lambda s: s["kind"] == "ServiceAccount" and s["name"] == SA
                             and s["namespace"] == release_ns)


def triples(grants):
    return {t for g in grants for t in g.triples()}


def test_chart_grants_exactly_the_needed_permissions():
    granted = triples(chart_grants())
    assert granted - NEEDED == set(), f"granted but not needed: {sorted(granted - NEEDED)}"
    assert NEEDED - granted == set(), f"needed but not granted: {sorted(NEEDED - granted)}"
    assert triples(chart_grants("namespaced", ["a"])) == granted


def config_rbac_texts() -> dict[str, str]:
    d = CONFIG / "rbac"
    return {p.name: p.read_text() for p in sorted(d.glob("*.yaml")) if p.name != "kustomization.yaml"}


def test_config_rbac_matches_chart():
    texts = config_rbac_texts()
    if not texts:
        pytest.skip("config/rbac (operator core's branch) not merged yet")
    grants = grants_from_texts(texts)
    assert grants, "config/rbac binds no role"
    assert triples(grants) == triples(chart_grants()), (
        f"only in config/rbac: {sorted(triples(grants) - triples(chart_grants()))}; "
        f"only in the chart: {sorted(triples(chart_grants()) - triples(grants))}")


# ---- against the end-to-end request log ----

def load_log(path: Path) -> list[Request]:
    """The emulator's records; requests to non-resource URLs (discovery: /api, /apis, /version)
    have no resource and are allowed to every authenticated user, so they are left out."""
    data = json.loads(path.read_text())
    assert isinstance(data, list) and data, f"{path}: expected a non-empty JSON list of requests"
    return [Request.from_json(d) for d in data if d.get("resource")]


def e2e_log() -> list[Request]:
    p = os.environ.get("TF_E2E_REQUEST_LOG")
    if not p or not Path(p).is_file():
        pytest.skip("TF_E2E_REQUEST_LOG is unset or names no file: run the e2e suite with request "
                    "recording and point TF_E2E_REQUEST_LOG at its JSON log")
    return load_log(Path(p))


def assert_exact(grants, requests, label):
    denied, unused, justified = check(grants, requests)
    if justified:
        warnings.warn(f"{label}: unused in this run but justified: {justified}")
    assert not denied, f"{label}: requests the rules do not allow: {denied}"
    assert not unused, f"{label}: permissions never used and not justified (rbac-justify:): {unused}"


def lease_namespace(requests) -> str:
    ns = {r.namespace for r in requests if r.resource == "leases"}
    assert len(ns) <= 1, f"leases in several namespaces: {ns}"
    return ns.pop() if ns else RELEASE_NS


def test_e2e_requests_chart_cluster_mode():
    reqs = e2e_log()
    assert_exact(chart_grants(release_ns=lease_namespace(reqs)), reqs, "chart (cluster mode)")


CLUSTER_SCOPED = {"nodes"}


def test_e2e_requests_chart_namespaced_mode():
    reqs = e2e_log()
    cluster_wide = sorted({f"{r.verb} {r.resource}" for r in reqs
                           if not r.namespace and r.resource not in CLUSTER_SCOPED})
    if cluster_wide:
        pytest.skip(f"the log is from a cluster-wide run ({', '.join(cluster_wide[:3])}, ...); "
                    "namespaced mode is checked against a run with `--namespace`")
    lease_ns = lease_namespace(reqs)
    watched = sorted({r.namespace for r in reqs if r.namespace and r.resource != "leases"})
    assert len(watched) == 1, f"a `--namespace` run touches one namespace, the log has {watched}"
    assert_exact(chart_grants("namespaced", watched, lease_ns), reqs, "chart (namespaced mode)")


def test_e2e_requests_config_rbac():
    reqs = e2e_log()
    texts = config_rbac_texts()
    if not texts:
        pytest.skip("config/rbac (operator core's branch) not merged yet")
    grants = grants_from_texts(texts)
    # config/rbac's Roles get config/default's namespace from kustomize, i.e. the operator's own
    # namespace, which the e2e run's Lease namespace stands for.
    for g in grants:
        if g.scope is not None:
            g.scope = lease_namespace(reqs)
    assert_exact(grants, reqs, "config/rbac")


# ---- the checker itself, on a recorded-log fixture ----

FIXTURE = HERE / "rbac" / "request-log-fixture.json"


def test_checker_accepts_fixture_and_reports_justified():
    reqs = load_log(FIXTURE)
    denied, unused, justified = check(chart_grants(), reqs)
    assert denied == [] and unused == []
    assert any("delete core/pods" in j for j in justified)


def test_apply_patch_needs_create():
    reqs = [r for r in load_log(FIXTURE) if not (r.resource == "statefulsets" and r.apply)]
    _, unused, _ = check(chart_grants(), reqs)
    assert "create apps/statefulsets" in [u.split(" (")[0] for u in unused]
    only_patch = [{"verb": "patch", "group": "apps", "resource": "statefulsets", "namespace": "m",
                   "content_type": "application/apply-patch+yaml"}]
    denied, _, _ = check(grants_from_texts({"r.yaml": """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: x}
rules:
- {apiGroups: [apps], resources: [statefulsets], verbs: [patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: x}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x}
subjects: [{kind: ServiceAccount, name: op, namespace: ns}]
"""}), [Request.from_json(d) for d in only_patch])
    assert denied == ["create apps/statefulsets in m"]


def test_checker_rejects_a_request_outside_the_rules():
    reqs = load_log(FIXTURE) + [Request("list", "", "configmaps", "", "miners"),
                                Request("patch", "", "nodes", "", "")]
    denied, _, _ = check(chart_grants(), reqs)
    assert denied == ["list core/configmaps in miners", "patch core/nodes in <cluster>"]


def test_checker_rejects_unused_unjustified_rule():
    reqs = [r for r in load_log(FIXTURE) if not (r.resource == "secrets" and r.verb == "watch")]
    _, unused, _ = check(chart_grants(), reqs)
    assert [u.split(" (")[0] for u in unused] == ["watch core/secrets"]


def test_checker_namespaced_mode_denies_other_namespaces():
    reqs = load_log(FIXTURE)
    denied, _, _ = check(chart_grants("namespaced", ["miners"]), reqs)
    assert any(d.endswith(" in validators") for d in denied)
    assert any(d == "list apps/statefulsets in <cluster>" for d in denied)
    assert not any(d.endswith(" in miners") or d.endswith(" in tensorfleet-system") for d in denied)


def test_rule_blocks_tie_comments_in_block_style():
    from packaging_rbac import rule_blocks
    text = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: x
rules:
  - apiGroups: [""]
    resources: [pods]
    verbs: [get, list, watch]
  # rbac-justify: restarts
  - apiGroups: [""]
    resources: [pods]
    verbs:
      - delete
- not-a-rule-of-the-list-above
"""
    blocks = rule_blocks(text.rsplit("- not-a-rule", 1)[0])
    assert len(blocks) == 2
    assert "rbac-justify" not in blocks[0] and "rbac-justify" in blocks[1] and "delete" in blocks[1]
    (grant_a, grant_b) = grants_from_texts({"r.yaml": text.rsplit("- not-a-rule", 1)[0] + """---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: x}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x}
subjects: [{kind: ServiceAccount, name: op, namespace: ns}]
"""})
    assert (grant_a.justified, grant_b.justified) == (False, True)
