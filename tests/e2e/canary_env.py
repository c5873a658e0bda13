"""Canary rollout tests: a fake chain with short epochs, and a fleet driver that plays the
StatefulSet controller, the kubelet and the subnet's validators for one NeuronSet.

The driver is the scripted part of the fake chain the issue asks for: each member's pod runs the
image of its StatefulSet's template (crash-looping for images in `crash`), and at every epoch
boundary each registered member's incentive is set from the image its pod runs (`figures`,
times a small per-ordinal spread so medians are not trivial, and a per-epoch wobble of ±0.4 %:
as on a real subnet, every epoch moves the figures, and the poller's change events are what
wake the set right after an epoch)."""

import threading
import time

from manifests import NS

TAO = 10**9
NETUID = 21
TEMPO = 14  # an epoch every 15 blocks: 3 s at 200 ms blocks
BLOCK_MS = 200
SPREAD = [1.0, 1.03, 0.97, 1.01, 0.99]
SET_LABEL = "tensorfleet.io/neuronset"


def genesis():
    # immunity 10 blocks: members registered at the start are past it before any rollout
    return {"head": 1000, "subnets": {str(NETUID): {"burn": TAO, "tempo": TEMPO, "immunity_period": 10}}}


def epoch_index(block: int) -> int:
    """Epochs run at blocks with (block + netuid + 1) % (tempo + 1) == tempo (subtensor's legacy
    schedule, which the fake chain's snapshots imply: they carry no LastEpochBlock)."""
    return (block + NETUID + 2) // (TEMPO + 1)


def blocks_since_epoch(block: int) -> int:
    return (block + NETUID + 2) % (TEMPO + 1)


class FleetDriver:
    def __init__(self, cluster, chain, figures: dict[str, float], crash=(), set_name="fleet"):
        self.cluster, self.chain = cluster, chain
        self.figures, self.crash, self.set_name = figures, set(crash), set_name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fleet-driver", daemon=True)
        self._epoch = None
        self.errors: list[str] = []

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as e:  # noqa: BLE001 - reported by the test via `errors`
                self.errors.append(repr(e))
            time.sleep(0.1)

    def tick(self):
        for sts in self.cluster.list("statefulsets", NS, f"{SET_LABEL}={self.set_name}"):
            if (sts["spec"].get("replicas") or 0) >= 1:
                self._roll_if_changed(sts)
        head = self.chain.advance(0)
        if epoch_index(head) != self._epoch:
            self._epoch = epoch_index(head)
            self._score()

    def _roll_if_changed(self, sts):
        name = sts["metadata"]["name"]
        gen = sts["metadata"]["generation"]
        rev = f"{name}-rev{gen}"
        pod = self.cluster.get("pods", NS, f"{name}-0")
        if pod and (pod["metadata"].get("labels") or {}).get("controller-revision-hash") == rev:
            return
        image = sts["spec"]["template"]["spec"]["containers"][0]["image"]
        crash = image in self.crash
        if pod:
            self.cluster.delete("pods", NS, f"{name}-0")
        self.cluster.kubelet_create_pod_for(sts, ready=not crash)
        labels = {"controller-revision-hash": rev}
        self.cluster.patch("pods", NS, f"{name}-0", {"metadata": {"labels": labels}})
        if crash:
            self.cluster.set_status("pods", NS, f"{name}-0", {"containerStatuses": [{
                "name": "neuron", "image": image, "imageID": "", "ready": False, "restartCount": 4,
                "started": False, "state": {"waiting": {"reason": "CrashLoopBackOff",
                                                        "message": "back-off restarting failed container"}},
            }]})
        self.cluster.set_status("statefulsets", NS, name, {
            "observedGeneration": gen, "replicas": 1, "readyReplicas": 0 if crash else 1,
            "updatedReplicas": 1, "currentReplicas": 1, "currentRevision": rev, "updateRevision": rev,
        })

    def _score(self):
        """An epoch: every registered member earns what its running image earns."""
        for n in self.cluster.list("neurons", NS, f"{SET_LABEL}={self.set_name}"):
            hotkey = (n.get("status") or {}).get("hotkey")
            pod = self.cluster.get("pods", NS, f"{n['metadata']['name']}-0")
            if not hotkey or not pod or self.chain.uid_of(NETUID, hotkey) is None:
                continue
            image = pod["spec"]["containers"][0]["image"]
            ordinal = int(n["metadata"]["name"].rsplit("-", 1)[1])
            wobble = 1 + 0.004 * ((self._epoch + ordinal) % 3 - 1)
            value = self.figures.get(image, 0.0) * SPREAD[ordinal % len(SPREAD)] * wobble
            self.chain.set_figures(NETUID, hotkey, incentive=value)


def canary_set(image, replicas=3, name="fleet", **rollout):
    """A miner NeuronSet with the Canary strategy; restart windows wide enough for 2 s polls."""
    spec = {"strategy": "Canary", "soakTempos": 2, "restartWindowBlocks": 6,
            "maxRestartDelayBlocks": 60, "progressDeadlineSeconds": 120, **rollout}
    return {"apiVersion": "tensorfleet.io/v1alpha1", "kind": "NeuronSet",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "template": {"subnet": "sn21", "role": "miner", "image": image},
                     "updateStrategy": {"maxUnavailable": 1}, "rollout": spec}}


def images(get, names):
    return [get("neurons", NS, n)["spec"]["image"] for n in names]


def rollout_status(get) -> dict:
    return ((get("neuronsets", NS, "fleet") or {}).get("status") or {}).get("rollout") or {}


def images_ever(cluster, name) -> set[str]:
    return {v["spec"]["image"] for v in cluster.history("neurons", NS, name) if v is not None}
