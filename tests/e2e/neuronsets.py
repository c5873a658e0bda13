"""Helpers of the NeuronSet e2e tests: the manifest, member reads, kubectl, and acting as the
StatefulSet controller plus kubelet when a member's pod rolls."""

import subprocess

from manifests import IMAGE, NS

TAO = 10**9
SET_LABEL = "tensorfleet.io/neuronset"


def neuronset(name="fleet", replicas=0, image=IMAGE, subnet="sn21", budget=None,
              max_unavailable=1, replace_deregistered=False, **template) -> dict:
    spec = {
        "replicas": replicas,
        "template": {"subnet": subnet, "role": "miner", "image": image, **template},
        "updateStrategy": {"maxUnavailable": max_unavailable},
        "replaceDeregistered": replace_deregistered,
    }
    if budget is not None:
        spec["budget"] = {"maxTotalBurnTao": budget}
    return {"apiVersion": "tensorfleet.io/v1alpha1", "kind": "NeuronSet",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


def members(cluster, set_name="fleet") -> dict[str, dict]:
    return {n["metadata"]["name"]: n for n in cluster.list("neurons", NS, f"{SET_LABEL}={set_name}")}


def set_status(get, name="fleet") -> dict:
    return (get("neuronsets", NS, name) or {}).get("status") or {}


def kubectl(cluster, *args) -> str:
    out = subprocess.run(["kubectl", "--kubeconfig", str(cluster.kubeconfig), "-n", NS, *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, f"kubectl {' '.join(args)}: {out.stderr}"
    return out.stdout


def roll_pod(cluster, name: str, ready: bool = True) -> dict:
    """As the StatefulSet controller and kubelet would: replace the member's pod with one from
    the current template (ready or not) and report the rollout in the StatefulSet's status."""
    sts = cluster.get("statefulsets", NS, name)
    cluster.delete("pods", NS, f"{name}-0")
    cluster.kubelet_create_pod_for(sts, ready=ready)
    gen = sts["metadata"]["generation"]
    rev = f"{name}-rev{gen}"
    return cluster.set_status("statefulsets", NS, name, {
        "observedGeneration": gen, "replicas": 1, "readyReplicas": 1 if ready else 0,
        "updatedReplicas": 1, "currentReplicas": 1, "currentRevision": rev, "updateRevision": rev,
    })


def image_of(neuron: dict) -> str:
    return neuron["spec"]["image"]
