"""Manifests the e2e tests apply, written as users would per API.md."""

import base64
import json

NS = "miners"
# Well-known public test mnemonic (Substrate's dev phrase): never a real fund-holding key.
COLD_MNEMONIC = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
IMAGE = "ghcr.io/org/subnet21-miner:1.4.2"


def subnet(name="sn21", netuid=21, endpoints=("ws://127.0.0.1:9",), max_burn="1", **spec) -> dict:
    """A Subnet; the default endpoint is a closed port, so the chain is unreachable."""
    return {
        "apiVersion": "tensorfleet.io/v1alpha1", "kind": "Subnet",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"netuid": netuid, "endpoints": list(endpoints),
                 "registration": {"maxBurnTao": max_burn}, **spec},
    }


def neuron(name="miner-0", subnet="sn21", role="miner", image=IMAGE, labels=None, **spec) -> dict:
    return {
        "apiVersion": "tensorfleet.io/v1alpha1", "kind": "Neuron",
        "metadata": {"name": name, "namespace": NS, **({"labels": labels} if labels else {})},
        "spec": {"subnet": subnet, "role": role, "image": image, **spec},
    }


def secret(name: str, string_data: dict[str, str], labels=None) -> dict:
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "namespace": NS, **({"labels": labels} if labels else {})},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in string_data.items()},
    }


def decoded(secret_obj: dict) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret_obj.get("data") or {}).items()}


def keyfile(secret_obj: dict, key: str = "hotkey") -> dict:
    return json.loads(decoded(secret_obj)[key])
