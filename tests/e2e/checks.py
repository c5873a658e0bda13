"""Readers for what the operator wrote: env, mounted files, conditions, Events, keys."""

import posixpath

from bittensor_wallet import Keypair

MANAGED = "app.kubernetes.io/managed-by"


def ss58_of_mnemonic(mnemonic: str) -> str:
    return Keypair.create_from_mnemonic(mnemonic).ss58_address


def is_ss58(address: str) -> bool:
    try:
        return Keypair(ss58_address=address, ss58_format=42).ss58_address == address
    except Exception:  # noqa: BLE001 - any decoding failure means "not an ss58 address"
        return False


def env_of(container: dict) -> dict:
    """name -> literal value, or ("fieldRef", path) / ("ref", source) for valueFrom."""
    out = {}
    for e in container.get("env") or []:
        if "value" in e:
            out[e["name"]] = e["value"]
        elif "fieldRef" in (e.get("valueFrom") or {}):
            out[e["name"]] = ("fieldRef", e["valueFrom"]["fieldRef"]["fieldPath"])
        else:
            out[e["name"]] = ("ref", e.get("valueFrom"))
    return out


def mounted_files(pod_spec: dict, container: dict) -> dict[str, tuple[str, str, bool]]:
    """Absolute file path in the container -> (Secret name, key, read-only) for every Secret
    key the container sees, resolving volume items, subPath and mountPath as the kubelet does."""
    volumes = {v["name"]: v for v in pod_spec.get("volumes") or []}
    files = {}
    for m in container.get("volumeMounts") or []:
        src = (volumes.get(m["name"]) or {}).get("secret")
        if not src:
            continue
        items = src.get("items")
        paths = {i["path"]: i["key"] for i in items} if items else None
        if paths is None:  # every key of the Secret, unknown here: report the directory itself
            paths = {"*": "*"}
        for path, key in paths.items():
            if m.get("subPath"):
                if m["subPath"] != path:
                    continue
                target = m["mountPath"]
            else:
                target = posixpath.join(m["mountPath"], path)
            files[posixpath.normpath(target)] = (src["secretName"], key, bool(m.get("readOnly")))
    return files


def condition(obj: dict, type_: str) -> dict | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return c
    return None


def cond_is(obj: dict | None, type_: str, status: str, reason: str | None = None) -> bool:
    c = condition(obj or {}, type_)
    return bool(c) and c["status"] == status and (reason is None or c["reason"] == reason)


def events_for(cluster, kind: str, name: str) -> list[dict]:
    """events.k8s.io/v1 and core v1 Events regarding one object."""
    out = []
    for ev in cluster.list("events.k8s.io/v1/events") + cluster.list("v1/events"):
        ref = ev.get("regarding") or ev.get("involvedObject") or {}
        if ref.get("kind") == kind and ref.get("name") == name:
            out.append(ev)
    return out


def owned_by(obj: dict, owner: dict) -> bool:
    """Exactly one controller owner reference, to `owner`, blocking its deletion."""
    refs = obj["metadata"].get("ownerReferences") or []
    return refs == [{
        "apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True,
    }]
