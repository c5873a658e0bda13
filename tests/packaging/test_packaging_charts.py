"""Both Helm charts: lint --strict, schema rejections, rendered content, copies kept identical."""

from __future__ import annotations

import filecmp

import pytest

from packaging_support import (ALL_VALUE_SETS, CONFIG, FLEET_CHART, KUBE_MINORS, OPERATOR_CHART,
                      OPERATOR_VALUES, ROOT, helm, load_values, render, rendered_objects)


@pytest.mark.parametrize("kube", KUBE_MINORS)
@pytest.mark.parametrize("vid,chart,values_file", ALL_VALUE_SETS, ids=[v[0] for v in ALL_VALUE_SETS])
def test_lint_strict(vid, chart, values_file, kube):
    report = helm().lint(str(chart), load_values(values_file), strict=True, kube_version=f"v{kube}",
                         namespace="tensorfleet-system")
    assert report["total_charts_linted"] == 1
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
    assert not problems, f"helm lint --strict {chart.name} ({vid}): {problems}"


def _same_files(copy_dir, source_dir):
    names = sorted(p.name for p in source_dir.glob("*.yaml"))
    assert names, f"no CRDs in {source_dir}"
    assert sorted(p.name for p in copy_dir.glob("*.yaml")) == names, f"{copy_dir} lists other files"
    _, mismatch, errors = filecmp.cmpfiles(source_dir, copy_dir, names, shallow=False)
    return mismatch + errors


@pytest.mark.parametrize("copy_dir", [OPERATOR_CHART / "crds", CONFIG / "crd" / "bases"],
                         ids=["chart-crds", "config-crd-bases"])
def test_crd_copies_identical(copy_dir):
    stale = _same_files(copy_dir, ROOT / "crds")
    assert not stale, (f"{copy_dir.relative_to(ROOT)} differs from crds/ for {stale}: "
                       f"run `cp crds/*.yaml {copy_dir.relative_to(ROOT)}/`")


def test_chart_crds_loaded_by_helm():
    with helm().Chart.load(str(OPERATOR_CHART)) as c:
        kinds = sorted(crd["filename"] for crd in c.crds)
    assert kinds == ["tensorfleet/crds/neurons.yaml", "tensorfleet/crds/neuronsets.yaml",
                     "tensorfleet/crds/spends.yaml", "tensorfleet/crds/subnets.yaml"]


def test_dashboard_copy_identical():
    a = CONFIG / "grafana" / "tensorfleet-fleet.json"
    b = OPERATOR_CHART / "dashboards" / "tensorfleet-fleet.json"
    assert a.read_bytes() == b.read_bytes(), f"run `cp {a.relative_to(ROOT)} {b.relative_to(ROOT)}`"


# (chart, values override, the path the schema must name)
BAD_VALUES = [
    (OPERATOR_CHART, {"replicas": -1}, "/replicas"),
    (OPERATOR_CHART, {"replicas": "2"}, "/replicas"),
    (OPERATOR_CHART, {"watch": {"mode": "everywhere"}}, "/watch/mode"),
    (OPERATOR_CHART, {"watch": {"mode": "namespaced", "namespaces": []}}, "/watch/namespaces"),
    (OPERATOR_CHART, {"watch": {"mode": "namespaced", "namespaces": ["Bad_NS"]}}, "/watch/namespaces/0"),
    (OPERATOR_CHART, {"watch": {"mode": "namespaced", "namespaces": ["a", "b"]}}, "/watch/namespaces"),
    (OPERATOR_CHART, {"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    (OPERATOR_CHART, {"image": {"digest": "latest"}}, "/image/digest"),
    (OPERATOR_CHART, {"metrics": {"port": 70000}}, "/metrics/port"),
    (OPERATOR_CHART, {"metrics": {"serviceMonitor": {"interval": "soon"}}}, "/metrics/serviceMonitor/interval"),
    (OPERATOR_CHART, {"resources": {"limits": {"memory": "lots"}}}, "/resources/limits/memory"),
    (OPERATOR_CHART, {"runAsUser": 0}, "/runAsUser"),
    (OPERATOR_CHART, {"logFormat": "xml"}, "/logFormat"),
    (OPERATOR_CHART, {"replica": 2}, "replica"),
    (FLEET_CHART, {"subnet": {"netuid": 70000, "registration": {"maxBurnTao": "1"}}}, "/subnet/netuid"),
    (FLEET_CHART, {"subnet": {"netuid": 21, "registration": {"maxBurnTao": "1.0000000001"}}}, "/subnet/registration/maxBurnTao"),
    (FLEET_CHART, {"subnet": {"netuid": 21, "registration": {"maxBurnTao": 1}}}, "/subnet/registration/maxBurnTao"),
    (FLEET_CHART, {"subnet": {"netuid": 21, "network": "mainnet", "registration": {"maxBurnTao": "1"}}}, "/subnet/network"),
    (FLEET_CHART, {"subnet": {"netuid": 21, "endpoints": ["http://x"], "registration": {"maxBurnTao": "1"}}}, "/subnet/endpoints/0"),
    (FLEET_CHART, {"coldkeySecret": "Cold_Key"}, "/coldkeySecret"),
    (FLEET_CHART, {"neuron": {"role": "observer"}}, "/neuron/role"),
    (FLEET_CHART, {"neuron": {"role": "miner", "stake": {"targetTao": "10"}}}, "/neuron"),
    (FLEET_CHART, {"neuron": {"subnet": "sn9"}}, "/neuron/subnet"),
    (FLEET_CHART, {"neuron": {"wallet": {"coldkeySecret": "x"}}}, "/neuron/wallet/coldkeySecret"),
    (FLEET_CHART, {"neuron": {"axon": {"expose": "Ingress"}}}, "/neuron/axon/expose"),
    (FLEET_CHART, {"neuronSet": {"replicas": -3}}, "/neuronSet/replicas"),
    (FLEET_CHART, {"neuronSet": {"budget": {"maxTotalBurnTao": "five"}}}, "/neuronSet/budget/maxTotalBurnTao"),
    (FLEET_CHART, {"neuronSet": {"rollout": {"strategy": "canary"}}}, "/neuronSet/rollout/strategy"),
    (FLEET_CHART, {"neuronSet": {"rollout": {"maxDrop": "0.2"}}}, "/neuronSet/rollout/maxDrop"),
    (FLEET_CHART, {"neuronSet": {"rollout": {"canary": 0}}}, "/neuronSet/rollout/canary"),
    (FLEET_CHART, {"neuronSet": {"rollout": {"soakTempo": 2}}}, "soakTempo"),
    (FLEET_CHART, {"neurons": [{"role": "validator"}]}, "/neurons/0"),
    (FLEET_CHART, {"neurons": [{"name": "v", "stake": {"maxAddPerDayTao": "1"}}]}, "/neurons/0"),
]


@pytest.mark.parametrize("chart,override,path", BAD_VALUES,
                         ids=[f"{c.name}:{p}" for c, _, p in BAD_VALUES])
def test_schema_rejects_bad_values(chart, override, path):
    h = helm()
    with h.Chart.load(str(chart)) as c:
        merged = c.merge_values(override)
        with pytest.raises(h.HelmValuesError) as err:
            c.validate_schema(merged)
        # Rendering (what `helm install` does) refuses the same values.
        with pytest.raises(h.HelmError):
            c.render(override, name="tf", namespace="ns")
    assert f"'{path}" in str(err.value) or f"at '{path}'" in str(err.value), str(err.value)


@pytest.mark.parametrize("vid,chart,values_file", ALL_VALUE_SETS, ids=[v[0] for v in ALL_VALUE_SETS])
def test_schema_accepts_shipped_values(vid, chart, values_file):
    with helm().Chart.load(str(chart)) as c:
        c.validate_schema(c.merge_values(load_values(values_file)))


def _pod_specs(objs):
    for o in objs:
        if o["kind"] in ("Deployment", "DaemonSet"):
            yield o, o["spec"]["template"]["spec"]


@pytest.mark.parametrize("vid,values_file", OPERATOR_VALUES, ids=[v[0] for v in OPERATOR_VALUES])
def test_operator_workloads_restricted(vid, values_file):
    objs = rendered_objects(OPERATOR_CHART, load_values(values_file))
    specs = list(_pod_specs(objs))
    assert any(o["kind"] == "Deployment" for o, _ in specs)
    for obj, pod in specs:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        psc = pod["securityContext"]
        assert psc["runAsNonRoot"] is True and psc["runAsUser"] > 0, where
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", where
        assert not pod.get("hostNetwork") and not pod.get("hostPID"), where
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["runAsNonRoot"] is True, where
            assert sc.get("privileged") is not True, where
            assert sc["capabilities"]["drop"] == ["ALL"] and not sc["capabilities"].get("add"), where
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", where
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", where
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"], where
            assert not [m for m in c.get("volumeMounts", []) if "hostPath" in str(m)], where
        for v in pod.get("volumes", []):
            assert "hostPath" not in v, f"{where} mounts a hostPath"


def test_operator_deployment_replicas_and_leader_election():
    objs = rendered_objects(OPERATOR_CHART, {"replicas": 3})
    dep = next(o for o in objs if o["kind"] == "Deployment")
    assert dep["spec"]["replicas"] == 3
    args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[0] == "run" and "--leader-elect" in args
    assert "--lease-name=tensorfleet-operator" in args
    roles = [o for o in objs if o["kind"] == "Role" and o["metadata"]["name"].endswith("leader-election")]
    assert [r["metadata"]["namespace"] for r in roles] == ["tensorfleet-system"]


def _by_kind(objs, kind):
    return [o for o in objs if o["kind"] == kind]


def test_rbac_cluster_mode():
    objs = rendered_objects(OPERATOR_CHART, None)
    (cr,) = _by_kind(objs, "ClusterRole")
    (crb,) = _by_kind(objs, "ClusterRoleBinding")
    assert crb["roleRef"]["name"] == cr["metadata"]["name"]
    resources = {r for rule in cr["rules"] for r in rule["resources"]}
    assert {"neurons", "statefulsets", "secrets", "nodes"} <= resources
    assert "leases" not in resources, "leases must stay in a namespaced Role"
    assert not any("*" in rule["verbs"] or "*" in rule["resources"] for rule in cr["rules"])


def test_rbac_namespaced_mode_role_per_namespace():
    objs = rendered_objects(OPERATOR_CHART, {"watch": {"mode": "namespaced", "namespaces": ["miners"]}})
    crs = _by_kind(objs, "ClusterRole")
    assert len(crs) == 1, "namespaced mode keeps only the nodes ClusterRole"
    assert {r for rule in crs[0]["rules"] for r in rule["resources"]} == {"nodes"}
    assert {v for rule in crs[0]["rules"] for v in rule["verbs"]} == {"get", "list", "watch"}
    ops = [r for r in _by_kind(objs, "Role") if not r["metadata"]["name"].endswith("leader-election")]
    assert [r["metadata"]["namespace"] for r in ops] == ["miners"]
    bindings = [b for b in _by_kind(objs, "RoleBinding") if not b["metadata"]["name"].endswith("leader-election")]
    assert [b["metadata"]["namespace"] for b in bindings] == ["miners"]
    cluster = rendered_objects(OPERATOR_CHART, None)
    (cr,) = _by_kind(cluster, "ClusterRole")
    assert ops[0]["rules"] + crs[0]["rules"] == cr["rules"], "both modes grant the same rules"
    dep = next(o for o in objs if o["kind"] == "Deployment")
    assert "--namespace=miners" in dep["spec"]["template"]["spec"]["containers"][0]["args"]


def test_agent_daemonset_and_rbac():
    objs = rendered_objects(OPERATOR_CHART, {"agent": {"enabled": True}})
    (ds,) = _by_kind(objs, "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    assert pod["containers"][0]["args"][:2] == ["agent", "--node-name=$(NODE_NAME)"]
    assert "--taint-unhealthy" not in pod["containers"][0]["args"]
    assert pod["runtimeClassName"] == "nvidia"
    assert "nvidia.com/gpu" not in str(pod["containers"][0]["resources"]), "the agent allocates no GPU"
    own_taint = {"key": "tensorfleet.io/gpu-unhealthy", "operator": "Exists", "effect": "NoSchedule"}
    assert own_taint in pod["tolerations"], "the agent must tolerate the taint it sets"
    user = rendered_objects(OPERATOR_CHART, {"agent": {"enabled": True, "tolerations": []}})
    assert own_taint in _by_kind(user, "DaemonSet")[0]["spec"]["template"]["spec"]["tolerations"]
    agent_cr = [c for c in _by_kind(objs, "ClusterRole") if c["metadata"]["name"].endswith("-agent")]
    assert [r for c in agent_cr for r in c["rules"]] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]}]
    assert not _by_kind(rendered_objects(OPERATOR_CHART, None), "DaemonSet"), "the agent is opt-in"


def test_optional_parts_toggle():
    default = {o["kind"] for o in rendered_objects(OPERATOR_CHART, None)}
    assert "ServiceMonitor" not in default and "ConfigMap" not in default
    objs = rendered_objects(OPERATOR_CHART, {"metrics": {"serviceMonitor": {"enabled": True}},
                                             "dashboards": {"enabled": True}})
    (sm,) = _by_kind(objs, "ServiceMonitor")
    svc = next(o for o in _by_kind(objs, "Service") if o["metadata"]["name"].endswith("-metrics"))
    assert all(svc["metadata"]["labels"].get(k) == v for k, v in sm["spec"]["selector"]["matchLabels"].items())
    (cm,) = _by_kind(objs, "ConfigMap")
    import json
    dash = json.loads(cm["data"]["tensorfleet-fleet.json"])
    assert dash["uid"] == "tensorfleet-fleet"


def test_notes_give_next_steps():
    notes = render(OPERATOR_CHART, None)["tensorfleet/templates/NOTES.txt"]
    assert "rollout status deploy/tf-tensorfleet" in notes and "coldkey" in notes
    fleet = render(FLEET_CHART, None, namespace="miners")["neuron-fleet/templates/NOTES.txt"]
    assert "No Neuron is declared yet" in fleet


def test_fleet_examples_render_expected_objects():
    gpu = rendered_objects(FLEET_CHART, load_values(FLEET_CHART / "examples" / "gpu-miner-fleet.yaml"), namespace="miners")
    assert sorted(o["kind"] for o in gpu) == ["NeuronSet", "Subnet"]
    nrs = next(o for o in gpu if o["kind"] == "NeuronSet")
    assert nrs["spec"]["replicas"] == 8 and nrs["spec"]["template"]["subnet"] == "sn21"
    assert nrs["spec"]["template"]["wallet"] == {"coldkeySecret": "cold-main"}
    assert nrs["spec"]["template"]["gpus"] == 1
    assert nrs["spec"]["rollout"] == {"strategy": "Canary", "canary": 1, "soakTempos": 2, "maxDrop": "20%"}
    assert nrs["spec"]["updateStrategy"] == {"maxUnavailable": 2}
    default = rendered_objects(FLEET_CHART, {"neuronSet": {"replicas": 1}, "neuron": {"image": "i:1"},
                                             "coldkeySecret": "c"}, namespace="miners")
    (plain,) = [o for o in default if o["kind"] == "NeuronSet"]
    assert plain["spec"]["rollout"] == {"strategy": "RollingUpdate"}, "the default stays the rolling update"
    val = rendered_objects(FLEET_CHART, load_values(FLEET_CHART / "examples" / "validator-with-stake.yaml"), namespace="v")
    (neuron,) = val
    assert neuron["kind"] == "Neuron" and neuron["spec"]["role"] == "validator"
    assert neuron["spec"]["stake"]["targetTao"] == "1000"
    assert neuron["spec"]["wallet"]["coldkeySecret"] == "cold-main"
    assert "Secret" not in {o["kind"] for o in gpu + val}, "the fleet chart never creates key Secrets"


@pytest.mark.parametrize("override,message", [
    ({"neuronSet": {"replicas": 2}, "coldkeySecret": "c"}, "neuron.image is required"),
    ({"neuronSet": {"replicas": 2}, "neuron": {"image": "img:1"}}, "coldkeySecret (an existing Secret) is required"),
    ({"neurons": [{"name": "v", "role": "validator", "image": "i:1", "registration": {"mode": "external"},
                   "stake": {"targetTao": "1"}}]}, "coldkeySecret (an existing Secret) is required"),
])
def test_fleet_missing_inputs_fail_clearly(override, message):
    h = helm()
    with pytest.raises(h.HelmRenderError) as err:
        render(FLEET_CHART, override, namespace="miners")
    assert message in str(err.value)


def test_fleet_external_registration_needs_no_coldkey():
    objs = rendered_objects(FLEET_CHART, {"neurons": [{"name": "m", "image": "i:1", "registration": {"mode": "external"}}]})
    (n,) = [o for o in objs if o["kind"] == "Neuron"]
    assert "wallet" not in n["spec"]
