"""NeuronSet members and scaling: `kubectl scale` through the scale subresource, members
`<set>-<ordinal>` owned by the set with their own generated hotkeys, scale-down from the highest
ordinal, template changes reaching members (no chain needed: the Subnet is unreachable)."""

import json

import yaml

from checks import cond_is, condition, is_ss58, owned_by
from manifests import NS, keyfile, subnet
from neuronsets import SET_LABEL, kubectl, members, neuronset, set_status
from operator_proc import REPO


def test_scale_0_to_5_to_2_through_the_scale_subresource(cluster, operator, apply, get, wait_for):
    apply(subnet())
    nrs = apply(neuronset(replicas=0))
    wait_for(lambda: set_status(get).get("observedGeneration") == 1, message="set reconciled")
    st = set_status(get)
    assert st["replicas"] == 0 and st["selector"] == f"{SET_LABEL}=fleet"
    assert cond_is(get("neuronsets", NS, "fleet"), "Ready", "True", "MembersReady")

    # 0 → 5 with kubectl, which writes /scale
    kubectl(cluster, "scale", "nrs/fleet", "--replicas", "5")
    scale_writes = [r for r in cluster.requests if r.resource == "neuronsets" and r.subresource == "scale"
                    and r.verb in ("patch", "update")]
    assert scale_writes and all(r.status < 300 for r in scale_writes), scale_writes
    assert get("neuronsets", NS, "fleet")["spec"]["replicas"] == 5
    names = [f"fleet-{i}" for i in range(5)]
    wait_for(lambda: sorted(members(cluster)) == names, message="five members")
    wait_for(lambda: all((get("neurons", NS, n).get("status") or {}).get("hotkey") for n in names),
             message="every member has a hotkey")
    hotkeys = set()
    for n in names:
        m = get("neurons", NS, n)
        assert owned_by(m, nrs), m["metadata"].get("ownerReferences")
        assert m["metadata"]["labels"][SET_LABEL] == "fleet"
        assert m["metadata"]["annotations"]["tensorfleet.io/template-hash"]
        assert m["spec"]["wallet"]["hotkeySecret"] == f"{n}-hotkey"
        secret = get("secrets", NS, f"{n}-hotkey")
        assert secret["metadata"]["labels"]["tensorfleet.io/generated"] == "true"
        assert keyfile(secret)["ss58Address"] == m["status"]["hotkey"] and is_ss58(m["status"]["hotkey"])
        hotkeys.add(m["status"]["hotkey"])
    assert len(hotkeys) == 5, "each member has its own hotkey"
    wait_for(lambda: set_status(get).get("replicas") == 5, message="status.replicas 5")
    scale = json.loads(kubectl(cluster, "get", "nrs/fleet", "--subresource=scale", "-o", "json"))
    assert scale["spec"]["replicas"] == 5 and scale["status"]["replicas"] == 5

    # 5 → 2: the highest ordinals go, highest first; their hotkey Secrets stay
    before = len(cluster.requests)
    kubectl(cluster, "scale", "nrs/fleet", "--replicas", "2")
    wait_for(lambda: sorted(members(cluster)) == ["fleet-0", "fleet-1"], message="two members left")
    deletes = [r.name for r in cluster.requests[before:] if r.resource == "neurons" and r.verb == "delete"]
    assert deletes == ["fleet-4", "fleet-3", "fleet-2"], deletes
    wait_for(lambda: set_status(get).get("replicas") == 2, message="status.replicas 2")
    for n in names:
        assert get("secrets", NS, f"{n}-hotkey") is not None, f"{n}'s hotkey Secret was deleted"
    assert [r for r in cluster.requests if r.resource == "secrets" and r.verb == "delete"] == []

    # the printer columns, evaluated by kubectl from the CRD's jsonPaths
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "Progressing", "False", "Complete"),
             message="Progressing Complete")
    crd = yaml.safe_load((REPO / "crds" / "neuronsets.yaml").read_text())
    columns = {c["name"]: kubectl(cluster, "get", "nrs/fleet", "-o", f"jsonpath={{{c['jsonPath']}}}")
               for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]}
    revision = members(cluster)["fleet-0"]["metadata"]["annotations"]["tensorfleet.io/template-hash"]
    assert {k: v for k, v in columns.items() if k != "Age"} == {
        "Replicas": "2", "Ready": "0", "Registered": "0", "Updated": "2", "Spent (TAO)": "0",
        "Rollout": "Complete", "Canary": "", "Drop": "", "Progressing": "Complete",
        "Revision": revision}, columns
    assert columns["Age"].endswith("Z")


def test_template_changes_reach_members_and_drift_is_repaired(cluster, operator, apply, get, wait_for):
    apply(subnet())
    apply(neuronset(replicas=2, args=["--a"], wallet={"hotkeySecret": "shared", "coldkeySecret": "cold"}))
    wait_for(lambda: len(members(cluster)) == 2, message="two members")
    for m in members(cluster).values():
        # the template's hotkeySecret is ignored: one per member
        assert m["spec"]["wallet"] == {"hotkeySecret": f"{m['metadata']['name']}-hotkey",
                                       "coldkeySecret": "cold"}
    hash_1 = members(cluster)["fleet-0"]["metadata"]["annotations"]["tensorfleet.io/template-hash"]
    apply(neuronset(replicas=2, args=["--b"], wallet={"coldkeySecret": "cold"}))
    # members that are not registered hold no rollout slot: both move on
    wait_for(lambda: all(m["spec"].get("args") == ["--b"] for m in members(cluster).values()),
             message="template change on every member")
    hashes = {m["metadata"]["annotations"]["tensorfleet.io/template-hash"] for m in members(cluster).values()}
    assert len(hashes) == 1 and hash_1 not in hashes
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "Progressing", "False", "Complete"),
             message="Progressing Complete")
    st = set_status(get)
    assert st["updatedReplicas"] == 2 and st["observedGeneration"] == 2

    # someone edits a member: the set puts its template back
    cluster.patch("neurons", NS, "fleet-1", {"spec": {"args": ["--edited"]}})
    wait_for(lambda: get("neurons", NS, "fleet-1")["spec"].get("args") == ["--b"], message="drift repaired")


def test_a_neuron_of_a_member_name_not_owned_is_left_alone(cluster, operator, apply, get, wait_for):
    from manifests import neuron
    apply(subnet())
    squatter = apply(neuron(name="fleet-1"))
    apply(neuronset(replicas=2))
    wait_for(lambda: get("neurons", NS, "fleet-0"), message="fleet-0 created")
    from checks import events_for
    wait_for(lambda: any(e.get("reason") == "MemberNameTaken" for e in events_for(cluster, "NeuronSet", "fleet")),
             message="MemberNameTaken Event")
    now = get("neurons", NS, "fleet-1")
    assert now["metadata"]["uid"] == squatter["metadata"]["uid"]
    assert not now["metadata"].get("ownerReferences")
    assert now["spec"] == squatter["spec"]
    nrs = get("neuronsets", NS, "fleet")
    assert cond_is(nrs, "Ready", "False", "MemberNameTaken"), nrs["status"]["conditions"]
    assert "ordinal(s) 1 " in condition(nrs, "Ready")["message"]
    # the squatter goes: the set creates its member
    cluster.delete("neurons", NS, "fleet-1")
    wait_for(lambda: (n := get("neurons", NS, "fleet-1")) and n["metadata"].get("ownerReferences"),
             message="fleet-1 created by the set")


def test_invalid_set_gets_a_condition_and_an_event_and_no_members(cluster, operator, apply, get, wait_for):
    from checks import events_for
    apply(subnet())
    apply(neuronset(replicas=2, image="", budget="lots"))
    nrs = wait_for(lambda: cond_is(s := get("neuronsets", NS, "fleet"), "InvalidSpec", "True") and s,
                   message="InvalidSpec")
    msg = [c for c in nrs["status"]["conditions"] if c["type"] == "InvalidSpec"][0]["message"]
    assert "spec.template.image" in msg and "spec.budget.maxTotalBurnTao" in msg, msg
    assert cond_is(nrs, "Ready", "False", "InvalidSpec")
    wait_for(lambda: [e for e in events_for(cluster, "NeuronSet", "fleet") if e.get("reason") == "InvalidSpec"],
             message="InvalidSpec Event")
    assert members(cluster) == {}
    # fixed: members appear
    apply(neuronset(replicas=2, budget="1"))
    wait_for(lambda: len(members(cluster)) == 2, message="members once valid")
    wait_for(lambda: condition(get("neuronsets", NS, "fleet"), "InvalidSpec") is None,
             message="InvalidSpec dropped once valid")
