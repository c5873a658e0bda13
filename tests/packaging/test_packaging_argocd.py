"""The Argo CD health check (config/argocd/health/tensorfleet.lua, one script for three kinds) run under Lua 5.1, the dialect of Argo
CD's gopher-lua, against objects in the states the operator reports."""

from __future__ import annotations

import pytest

from packaging_support import CONFIG, kustomize, require_module

SCRIPT = CONFIG / "argocd" / "health" / "tensorfleet.lua"


def run_health(script: str, obj: dict) -> dict:
    lupa = require_module("lupa.lua51")
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)

    def to_lua(v):
        if isinstance(v, dict):
            return lua.table_from({k: to_lua(x) for k, x in v.items()})
        if isinstance(v, list):
            return lua.table_from([to_lua(x) for x in v])
        return v

    lua.globals().obj = to_lua(obj)
    hs = lua.execute(script)
    return {"status": hs["status"], "message": hs["message"]}


def cond(type_, status, reason="R", message=""):
    return {"type": type_, "status": status, "reason": reason, "message": message}


def neuron(status=None, generation=1, suspend=False):
    o = {"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Neuron",
         "metadata": {"name": "miner-0", "generation": generation},
         "spec": {"subnet": "sn21", "role": "miner", "image": "i:1", "suspend": suspend}}
    if status is not None:
        o["status"] = status
    return o


NEURON_CASES = [
    ("no status", neuron(), "Progressing"),
    ("suspended", neuron({"phase": "Suspended"}, suspend=True), "Suspended"),
    ("old generation", neuron({"observedGeneration": 1, "phase": "Running",
                               "conditions": [cond("Ready", "True")]}, generation=2), "Progressing"),
    ("ready", neuron({"observedGeneration": 1, "phase": "Running",
                      "conditions": [cond("Registered", "True"), cond("Ready", "True")]}), "Healthy"),
    ("registering", neuron({"observedGeneration": 1, "phase": "Registering",
                            "conditions": [cond("Ready", "False", "Registering", "waiting for burn <= cap")]}), "Progressing"),
    ("burn over cap", neuron({"observedGeneration": 1, "phase": "Registering",
                              "conditions": [cond("RegistrationBlocked", "True", "BurnAboveCap", "burn 2 TAO > cap 1"),
                                             cond("Ready", "False")]}), "Degraded"),
    ("invalid spec", neuron({"observedGeneration": 1, "phase": "Failed",
                             "conditions": [cond("InvalidSpec", "True", "BadSecret", "coldkey Secret has no mnemonic")]}), "Degraded"),
    ("deregistered", neuron({"observedGeneration": 1, "phase": "Deregistered",
                             "conditions": [cond("Ready", "False", "Deregistered")]}), "Degraded"),
]


@pytest.mark.parametrize("case,obj,want", NEURON_CASES, ids=[c[0] for c in NEURON_CASES])
def test_neuron_health(case, obj, want):
    hs = run_health(SCRIPT.read_text(), obj)
    assert hs["status"] == want, hs
    assert hs["message"]


def subnet(conditions=None, block=4812345):
    o = {"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Subnet", "metadata": {"name": "sn21"},
         "spec": {"netuid": 21, "registration": {"maxBurnTao": "1"}}}
    if conditions is not None:
        o["status"] = {"block": block, "conditions": conditions}
    return o


@pytest.mark.parametrize("obj,want", [
    (subnet(), "Progressing"),
    (subnet([cond("ChainReachable", "True"), cond("Ready", "True")]), "Healthy"),
    (subnet([cond("ChainReachable", "False", "Timeout", "all endpoints failed")]), "Degraded"),
    (subnet([cond("ChainReachable", "True"), cond("Ready", "False", "Polling")]), "Progressing"),
])
def test_subnet_health(obj, want):
    hs = run_health(SCRIPT.read_text(), obj)
    assert hs["status"] == want, hs
    if want == "Healthy":
        assert "4812345" in hs["message"]


def neuronset(replicas, ready, conditions=None):
    o = {"apiVersion": "tensorfleet.io/v1alpha1", "kind": "NeuronSet", "metadata": {"name": "fleet"},
         "spec": {"replicas": replicas, "template": {}}}
    if conditions is not None:
        o["status"] = {"replicas": replicas, "readyReplicas": ready, "conditions": conditions}
    return o


@pytest.mark.parametrize("obj,want", [
    (neuronset(8, 0), "Progressing"),
    (neuronset(8, 8, [cond("Ready", "True"), cond("Progressing", "False")]), "Healthy"),
    (neuronset(8, 7, [cond("Ready", "False"), cond("Progressing", "True", "RollingUpdate", "1 of 8 updating")]), "Progressing"),
    (neuronset(8, 5, [cond("BudgetExhausted", "True", "Budget", "5 TAO spent"), cond("Ready", "False")]), "Degraded"),
    (neuronset(8, 8, [cond("BudgetExhausted", "True"), cond("Ready", "True")]), "Healthy"),
    (neuronset(8, 6, [cond("Ready", "False", "MembersNotReady")]), "Degraded"),
    (neuronset(8, 8, [cond("Ready", "False", "MembersNotReady"), cond("Progressing", "False", "RolloutPaused"),
                      cond("RolloutPaused", "True", "CanaryRegressed", "drop 60.0% (maxDrop 20.0%)")]), "Degraded"),
    (neuronset(8, 7, [cond("Ready", "False"), cond("Progressing", "True", "Soaking", "soaking: 1 of 2 epoch(s)"),
                      cond("RolloutPaused", "False", "NotPaused")]), "Progressing"),
])
def test_neuronset_health(obj, want):
    hs = run_health(SCRIPT.read_text(), obj)
    assert hs["status"] == want, hs


def test_argocd_cm_carries_the_scripts_and_status_ignore():
    (cm,) = kustomize(CONFIG / "argocd")
    assert (cm["kind"], cm["metadata"]["name"], cm["metadata"]["namespace"]) == ("ConfigMap", "argocd-cm", "argocd")
    for kind in ("Neuron", "Subnet", "NeuronSet"):
        assert cm["data"][f"resource.customizations.health.tensorfleet.io_{kind}"] == SCRIPT.read_text()
    assert cm["data"]["resource.compareoptions"].strip() == "ignoreResourceStatusField: all"


def test_other_kinds_are_unknown():
    assert run_health(SCRIPT.read_text(), {"kind": "Pod", "metadata": {}})["status"] == "Unknown"


def test_subnet_generation_lag_is_progressing():
    obj = subnet([cond("Ready", "True")])
    obj["metadata"]["generation"] = 3
    obj["status"]["observedGeneration"] = 2
    assert run_health(SCRIPT.read_text(), obj)["status"] == "Progressing"
