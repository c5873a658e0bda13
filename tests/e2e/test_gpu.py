"""GPU health end to end: the real agent binary (cargo feature `fake-gpu`, scripted devices) labels
its Node in the emulator; the operator requires a healthy node for GPU pods, reports the node's GPU
model/count in status, and when the node turns unhealthy sets GpuUnhealthy and deletes the pod
once (a second deletion is held back by the restart backoff)."""

import json
import socket
import subprocess
import time

import pytest

from checks import condition, events_for
from lifecycle_env import TAO, metric, replicas, setup, start_chain, status  # noqa: F401
from manifests import NS
from operator_proc import binary_path
from requestlog import AGENT_TOKEN

NODE = "gpu-node-1"
POD = "miner-0-0"
MODEL = "NVIDIA H100 80GB HBM3"
MODEL_LABEL = "NVIDIA-H100-80GB-HBM3"  # the label form the agent publishes
HEALTHY_REQ = {"key": "tensorfleet.io/gpu.healthy", "operator": "In", "values": ["true"]}


def devices(xids=()):
    gpu = {"uuid": "GPU-a", "model": MODEL, "memoryTotalBytes": 85899345920, "temperatureCelsius": 60,
           "eccUncorrected": 0, "lost": False, "throttle": []}
    return {"driver": {"driverVersion": "550.54.15", "cudaVersion": "12.4"}, "initError": None,
            "ticks": [{"devices": [gpu], "xids": [{"uuid": "GPU-a", "xid": x} for x in xids]}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def agent(cluster, tmp_path):
    """start(devices_file) → the `tensorfleet agent` process publishing on NODE (own token, so its
    requests stay out of the operator's RBAC log)."""
    procs = []

    def start(dev_file):
        kubeconfig = tmp_path / "agent-kubeconfig"
        text = cluster.kubeconfig.read_text()
        assert "token: e2e}" in text
        kubeconfig.write_text(text.replace("token: e2e}", f"token: {AGENT_TOKEN}}}"))
        log = open(tmp_path / "agent.log", "w")
        p = subprocess.Popen(
            [str(binary_path()), "agent", "--fake-devices", str(dev_file), "--interval", "1",
             "--node-name", NODE, "--metrics-addr", f"127.0.0.1:{free_port()}"],
            env={"KUBECONFIG": str(kubeconfig), "RUST_LOG": "info", "PATH": "/usr/bin:/bin"},
            stdout=log, stderr=subprocess.STDOUT)
        procs.append((p, tmp_path / "agent.log"))
        return p

    yield start
    for p, log in procs:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
        print(f"--- agent log tail ---\n{log.read_text()[-3000:]}")


def gpu_cond(get):
    return condition(get("neurons", NS, "miner-0"), "GpuUnhealthy") or {}


def pod_deletes(cluster):
    return [r for r in cluster.requests
            if r.verb == "delete" and r.resource == "pods" and r.name == POD and r.user != AGENT_TOKEN]


def healthy_node(cluster, tmp_path, agent, get, wait_for):
    """NODE labelled healthy by a running agent; returns (its devices file, its labels)."""
    dev = tmp_path / "devices.json"
    dev.write_text(json.dumps(devices()))
    cluster.ensure_node(NODE)
    proc = agent(dev)
    node_labels = lambda: (get("nodes", None, NODE)["metadata"].get("labels") or {})  # noqa: E731
    wait_for(lambda: node_labels().get("tensorfleet.io/gpu.healthy") == "true", timeout=30,
             message=f"agent labels {NODE}")
    assert proc.poll() is None
    return dev, node_labels


def test_unhealthy_gpu_node_restarts_the_pod_once(cluster, tmp_path, agent, start_chain, start_operator,
                                                  apply, get, wait_for, kubelet_create_pod_for):
    dev, node_labels = healthy_node(cluster, tmp_path, agent, get, wait_for)
    assert node_labels()["tensorfleet.io/gpu.count"] == "1"
    assert any(r.user == AGENT_TOKEN and r.verb == "patch" and r.resource == "nodes" for r in cluster.requests)

    operator = start_operator()
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain, gpus=1, health={"maxRestartsPerHour": 3})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    sts = get("statefulsets", NS, "miner-0")
    terms = sts["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms and all(HEALTHY_REQ in t["matchExpressions"] for t in terms), terms

    kubelet_create_pod_for(sts, node=NODE)
    st = wait_for(lambda: (p := status(get).get("pod") or {}).get("gpuModel") == MODEL_LABEL and p, timeout=30,
                  message="gpuModel in status")
    assert st["gpuCount"] == 1 and st["node"] == NODE
    wait_for(lambda: gpu_cond(get).get("status") == "False", timeout=20, message="GpuUnhealthy False")
    assert pod_deletes(cluster) == []

    # XID 79 (fallen off the bus): the agent marks the node unhealthy; the Node watch wakes the Neuron
    dev.write_text(json.dumps(devices(xids=[79])))
    wait_for(lambda: node_labels().get("tensorfleet.io/gpu.healthy") == "false", timeout=30,
             message="node unhealthy")
    wait_for(lambda: get("pods", NS, POD) is None, timeout=30, message="pod deleted")
    c = wait_for(lambda: (c := gpu_cond(get)).get("status") == "True" and c, timeout=20,
                 message="GpuUnhealthy True")
    assert c["reason"] == "NodeGpuUnhealthy" and NODE in c["message"] and "79" in c["message"], c
    r = wait_for(lambda: (r := status(get).get("operatorRestarts") or {}).get("count") == 1 and r, timeout=20,
                 message="restart recorded")
    assert r["lastReason"] == "GpuUnhealthy"
    wait_for(lambda: "PodRestarted" in [e.get("reason") for e in events_for(cluster, "Neuron", "miner-0")],
             timeout=20, message="PodRestarted Event")
    assert metric(operator.metrics(), "tensorfleet_operator_restarts_total", namespace=NS, neuron="miner-0",
                  reason="GpuUnhealthy") == 1

    # the StatefulSet's new pod lands on the same (still unhealthy) node: held back by the backoff
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"), node=NODE)
    wait_for(lambda: "next restart not before" in gpu_cond(get).get("message", ""), timeout=30,
             message="backoff reported")
    time.sleep(3)
    assert get("pods", NS, POD) is not None
    assert len(pod_deletes(cluster)) == 1, pod_deletes(cluster)
    assert status(get)["operatorRestarts"]["count"] == 1


def test_a_validator_gpu_restart_waits_for_its_next_weight_set(cluster, tmp_path, agent, start_chain,
                                                               start_operator, apply, get, wait_for,
                                                               kubelet_create_pod_for):
    """Not right before a weight set: the restart waits for the window after the next one (the
    weights rate limit, 10 blocks here), at most a tempo (360 blocks of 12 s, capped at 1 h)."""
    from lifecycle_env import NETUID, polled
    dev, node_labels = healthy_node(cluster, tmp_path, agent, get, wait_for)
    operator = start_operator()
    chain = start_chain(burn=TAO // 10, weights_rate_limit=10)
    setup(apply, chain, role="validator", gpus=1, health={"maxWeightAgeBlocks": 1000})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    kubelet_create_pod_for(get("statefulsets", NS, "miner-0"), node=NODE)
    hotkey = status(get)["hotkey"]
    set_at = chain.advance(1)
    chain.set_figures(NETUID, hotkey, last_update=set_at)
    head = chain.advance(50)  # weights set 50 blocks ago: fresh, but past the window
    wait_for(lambda: polled(operator, chain, head), timeout=20, message="polled")
    wait_for(lambda: gpu_cond(get).get("status") == "False", timeout=20, message="GpuUnhealthy False")

    dev.write_text(json.dumps(devices(xids=[79])))
    c = wait_for(lambda: (c := gpu_cond(get)).get("status") == "True" and c, timeout=30,
                 message="GpuUnhealthy True")
    assert "restart waits for the validator's next weight set (window: 10 blocks" in c["message"], c
    for _ in range(3):
        head = chain.advance(1)
        wait_for(lambda: polled(operator, chain, head), timeout=10, message="polled")
    time.sleep(3)
    assert get("pods", NS, POD) is not None and pod_deletes(cluster) == [], "held for the window"

    # The validator sets weights: the window opens, the restart comes at once.
    chain.set_figures(NETUID, hotkey, last_update=chain.advance(1))
    wait_for(lambda: get("pods", NS, POD) is None, timeout=15, message="restart in the window")
    r = wait_for(lambda: (r := status(get).get("operatorRestarts") or {}).get("count") == 1 and r, timeout=20,
                 message="restart recorded")
    assert r["lastReason"] == "GpuUnhealthy"
