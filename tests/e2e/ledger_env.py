"""Ledger records written by hand, as the executor writes them: a `Spend` per extrinsic, created
before submission (`spec`) and resolved once (`status`)."""

import datetime
import hashlib

from manifests import NS

TAO = 10**9


def now_rfc3339(hours_ago: float = 0) -> str:
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=hours_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def spend(neuron: str, nonce: int, limit: int, *, neuron_set: str | None = None, subnet: str = "sn21",
          netuid: int = 21, call: str = "Register", hotkey: str = "5Fhk", signer: str = "5Ccold",
          hours_ago: float = 0) -> dict:
    name = f"{call.lower()}-{hashlib.sha256(f'{neuron}|{nonce}'.encode()).hexdigest()[:16]}"
    labels = {"app.kubernetes.io/managed-by": "tensorfleet", "tensorfleet.io/subnet": subnet,
              "tensorfleet.io/neuron": neuron, "tensorfleet.io/signer": signer, "tensorfleet.io/call": call}
    if neuron_set:
        labels["tensorfleet.io/neuronset"] = neuron_set
    spec = {"subnet": subnet, "netuid": netuid, "neuron": neuron, "call": call, "hotkey": hotkey,
            "coldkey": signer, "signer": signer, "limitRao": limit, "amountRao": 0, "nonce": nonce,
            "birthBlock": 1000, "mortalUntilBlock": 1064, "at": now_rfc3339(hours_ago)}
    if neuron_set:
        spec["neuronSet"] = neuron_set
    return {"apiVersion": "tensorfleet.io/v1alpha1", "kind": "Spend",
            "metadata": {"name": name, "namespace": NS, "labels": labels}, "spec": spec}


def resolve(cluster, obj: dict, paid: int, result: str = "Success", block: int = 1001) -> dict:
    status = {"result": result, "resolvedBy": "Inclusion", "block": block, "txHash": f"0x{block:x}",
              "paidRao": paid, "paidTao": str(paid / TAO), "alphaRao": 0, "feeRao": 0,
              "amountUnknown": False, "resolvedAt": now_rfc3339()}
    return cluster.set_status("spends", NS, obj["metadata"]["name"], status)
