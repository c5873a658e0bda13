"""The resources the emulator serves and the discovery documents kube clients read.

Builtins are the few the operator touches; tensorfleet kinds come from the repo's `crds/*.yaml`
so discovery always matches the CRDs the chart installs.
"""

import copy
import functools
import pathlib
from dataclasses import dataclass, field

import yaml

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUB_VERBS = ["get", "patch", "update"]


@dataclass
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    subresources: tuple[str, ...] = ()
    singular: str = ""
    short_names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    # scale subresource paths (dotted, without the leading dot)
    spec_replicas: str = "spec.replicas"
    status_replicas: str = "status.replicas"
    selector_path: str | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.group, self.version, self.plural)


_BUILTINS = [
    ("", "v1", "pods", "Pod", True, ("status",)),
    ("", "v1", "services", "Service", True, ("status",)),
    ("", "v1", "secrets", "Secret", True, ()),
    ("", "v1", "configmaps", "ConfigMap", True, ()),
    ("", "v1", "events", "Event", True, ()),
    ("", "v1", "nodes", "Node", False, ("status",)),
    ("", "v1", "namespaces", "Namespace", False, ("status",)),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("status",)),
    ("", "v1", "serviceaccounts", "ServiceAccount", True, ()),
    ("apps", "v1", "statefulsets", "StatefulSet", True, ("status", "scale")),
    ("apps", "v1", "deployments", "Deployment", True, ("status", "scale")),
    ("coordination.k8s.io", "v1", "leases", "Lease", True, ()),
    ("events.k8s.io", "v1", "events", "Event", True, ()),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
     ("status",)),
]


def builtin_resources() -> list[Resource]:
    return [
        Resource(g, v, p, k, ns, subs, singular=k.lower())
        for g, v, p, k, ns, subs in _BUILTINS
    ]


def load_crds(crd_dir: pathlib.Path) -> tuple[list[Resource], list[dict]]:
    """Resources served by the CRDs in `crd_dir`, and the CRD objects themselves."""
    resources, crds = _load_crds(crd_dir)
    return copy.deepcopy(resources), copy.deepcopy(crds)


@functools.lru_cache
def _load_crds(crd_dir: pathlib.Path) -> tuple[list[Resource], list[dict]]:
    resources, crds = [], []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in sorted(crd_dir.glob("*.yaml")):
        for crd in yaml.load_all(path.read_text(), Loader=loader):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            crds.append(crd)
            spec, names = crd["spec"], crd["spec"]["names"]
            for ver in spec["versions"]:
                if not ver.get("served", True):
                    continue
                subs = ver.get("subresources") or {}
                scale = subs.get("scale") or {}
                resources.append(Resource(
                    group=spec["group"], version=ver["name"], plural=names["plural"],
                    kind=names["kind"], namespaced=spec.get("scope") == "Namespaced",
                    subresources=tuple(sorted(subs)), singular=names.get("singular", ""),
                    short_names=names.get("shortNames", []), categories=names.get("categories", []),
                    spec_replicas=scale.get("specReplicasPath", ".spec.replicas").lstrip("."),
                    status_replicas=scale.get("statusReplicasPath", ".status.replicas").lstrip("."),
                    selector_path=(scale.get("labelSelectorPath") or "").lstrip(".") or None,
                ))
    return resources, crds


class Registry:
    """Lookup of served resources by URL parts or by the names tests use."""

    def __init__(self, resources: list[Resource]):
        self.all = resources
        self._by_key = {r.key: r for r in resources}

    def get(self, group: str, version: str, plural: str) -> Resource | None:
        return self._by_key.get((group, version, plural))

    def find(self, name: str) -> Resource:
        """`group/version/plural`, `version/plural` (core), a plural, a kind or a short name.

        Bare `events`/`Event` mean events.k8s.io (what the operator's recorder writes); the core
        kind is `v1/events`.
        """
        parts = name.split("/")
        if len(parts) == 3:
            found = self.get(*parts)
        elif len(parts) == 2:
            found = self.get("", *parts)
        else:
            low = name.lower()
            matches = [r for r in self.all if low in (r.plural, r.kind.lower(), *r.short_names)]
            preferred = [r for r in matches if r.group == "events.k8s.io"]
            found = (preferred or matches or [None])[0]
        if found is None:
            raise KeyError(f"no served resource named {name!r}")
        return found

    # --- discovery documents -------------------------------------------------------------------

    def api_versions(self, server: str) -> dict:
        return {
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}],
        }

    def _groups(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for r in self.all:
            if r.group and r.version not in groups.setdefault(r.group, []):
                groups[r.group].append(r.version)
        return groups

    def api_group(self, group: str) -> dict | None:
        versions = self._groups().get(group)
        if not versions:
            return None
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {
            "kind": "APIGroup", "apiVersion": "v1", "name": group,
            "versions": gvs, "preferredVersion": gvs[0],
        }

    def api_group_list(self) -> dict:
        return {
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": [self.api_group(g) for g in self._groups()],
        }

    def api_resource_list(self, group: str, version: str) -> dict | None:
        served = [r for r in self.all if r.group == group and r.version == version]
        if not served:
            return None
        entries = []
        for r in served:
            entries.append({
                "name": r.plural, "singularName": r.singular or r.kind.lower(),
                "namespaced": r.namespaced, "kind": r.kind, "verbs": VERBS,
                **({"shortNames": r.short_names} if r.short_names else {}),
                **({"categories": r.categories} if r.categories else {}),
            })
            for sub in r.subresources:
                entry = {"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
                         "kind": r.kind, "verbs": SUB_VERBS}
                if sub == "scale":
                    entry.update(kind="Scale", group="autoscaling", version="v1")
                entries.append(entry)
        return {
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": entries,
        }
