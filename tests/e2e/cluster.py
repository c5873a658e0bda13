"""The test side of the emulator: it runs in a background thread with its own event loop, and
tests drive it synchronously, as an admin, a kubelet or the garbage collector would.

Writes made here go straight to the store (they are not in `requests`, which holds only what
clients such as the operator sent over HTTP), but they bump resourceVersions and reach watchers
exactly like API writes.
"""

from __future__ import annotations

import asyncio
import copy
import pathlib
import threading
import time
from types import SimpleNamespace

import kmock

from emulator import ApiError, Emulator, now_rfc3339
from requestlog import Fault, RequestRecord
from resources import Registry, builtin_resources, load_crds


class WaitTimeout(AssertionError):
    pass


class Cluster:
    def __init__(self, crd_dir: pathlib.Path, workdir: pathlib.Path):
        crds, self._crd_objects = load_crds(crd_dir)
        self.registry = Registry(builtin_resources() + crds)
        self._workdir = workdir
        self._loop = asyncio.new_event_loop()
        self._ready: "asyncio.Future[int] | None" = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="k8s-emulator", daemon=True)
        self.emu: Emulator | None = None
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> "Cluster":
        self._thread.start()
        self._stop = asyncio.run_coroutine_threadsafe(self._make_stop(), self._loop).result(5)
        self._serving = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        deadline = time.monotonic() + 10
        while not self.port:
            if self._serving.done():
                self._serving.result()  # raises the startup error
            if time.monotonic() > deadline:
                raise RuntimeError("emulator did not start")
            time.sleep(0.01)
        for crd in self._crd_objects:
            self.apply(crd)
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
        self.kubeconfig = write_kubeconfig(self._workdir / "kubeconfig", self.port)
        return self

    async def _make_stop(self) -> asyncio.Event:
        return asyncio.Event()

    async def _serve(self) -> None:
        self.emu = Emulator(registry=self.registry)
        async with self.emu, kmock.Server(self.emu) as server:
            self.port = server.port
            await self._stop.wait()
            self.emu.closing.set()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._serving.result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _call(self, fn, *args, timeout: float = 10):
        async def run():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def _acall(self, coro_fn, *args, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro_fn(*args), self._loop).result(timeout)

    # --- reads ---------------------------------------------------------------------------------

    def get(self, kind: str, namespace: str | None, name: str) -> dict | None:
        info = self.registry.find(kind)
        return self._call(self.emu.current, info, namespace, name)

    def list(self, kind: str, namespace: str | None = None, selector: str | None = None) -> list[dict]:
        info = self.registry.find(kind)
        params = {"labelSelector": selector} if selector else {}
        return self._call(self.emu.list_objects, info, namespace, params)["items"]

    def history(self, kind: str, namespace: str | None, name: str) -> list[dict | None]:
        """Every stored version of an object (None where it was deleted), oldest first."""
        info = self.registry.find(kind)

        def versions():
            key = self.emu.key(info, namespace, name)
            if key not in self.emu.objects:
                return []
            return [None if v is None else copy.deepcopy(v.raw) for v in self.emu.objects[key].history]
        return self._call(versions)

    def every_version(self, kind: str) -> list[dict]:
        """Every stored version of every object of a kind, deleted ones included (oldest first
        per object)."""
        info = self.registry.find(kind)

        def versions():
            res = self.emu.key(info, None, "")[0]
            return [copy.deepcopy(v.raw) for (r, _, _), o in list(self.emu.objects.items()) if r == res
                    for v in o.history if v is not None]
        return self._call(versions)

    def changes(self, kind: str, namespace: str | None = None) -> list[tuple[int, str, dict]]:
        """Every stored change of one kind, in commit order: (resourceVersion, ADDED | MODIFIED |
        DELETED, object as written). Unlike `history`, it orders changes across objects."""
        info = self.registry.find(kind)

        def entries():
            return [(e.rv, e.type, copy.deepcopy(e.obj)) for e in self.emu.entries
                    if e.resource == info.key and (namespace is None
                                                   or e.obj["metadata"].get("namespace") == namespace)]
        return self._call(entries)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every HTTP request clients sent, in order, with RBAC verb and answer status."""
        return self._call(lambda: list(self.emu.log))

    # --- writes (as an admin, kubelet or GC) ---------------------------------------------------

    def _req(self, info, namespace, name=None, subresource=None, params=None, ctype=""):
        return SimpleNamespace(namespace=namespace if info.namespaced else None, name=name,
                               subresource=subresource, params=params or {},
                               headers={"Content-Type": ctype})

    def apply(self, obj: dict) -> dict:
        """Creates the object (status included) or, if it exists, replaces everything but status
        (and status too when `obj` has one), like `kubectl apply` plus a kubelet's status write."""
        kind = f"{obj['apiVersion']}/{_plural_hint(self.registry, obj)}"
        info = self.registry.find(kind)
        meta = obj.get("metadata", {})
        req = self._req(info, meta.get("namespace", "default"), meta["name"])

        async def run():
            old = self.emu.current(info, req.namespace, meta["name"])
            if old is None:
                req.name = None
                return await self.emu._create(info, req, copy.deepcopy(obj), keep_status=True)
            new = copy.deepcopy(obj)
            new["metadata"] = {**old["metadata"], **new.get("metadata", {})}
            new["metadata"].pop("resourceVersion", None)
            result = self.emu._write(info, old, new, None)
            if "status" in obj:
                result = self.emu._write(info, result, {"status": obj["status"]}, "status")
            return result
        return self._acall(run)

    def patch(self, kind: str, namespace: str | None, name: str, patch: dict,
              subresource: str | None = None) -> dict:
        """A JSON merge patch, as `kubectl patch --type merge` (subresource "status" for status)."""
        info = self.registry.find(kind)
        req = self._req(info, namespace, name, subresource, ctype="application/merge-patch+json")
        return self._acall(self.emu._patch, info, req, copy.deepcopy(patch))

    def set_status(self, kind: str, namespace: str | None, name: str, status: dict) -> dict:
        return self.patch(kind, namespace, name, {"status": status}, subresource="status")

    def delete(self, kind: str, namespace: str | None, name: str) -> dict | None:
        info = self.registry.find(kind)
        try:
            return self._acall(self.emu._delete, info, self._req(info, namespace, name), None)
        except ApiError as e:
            if e.code == 404:
                return None
            raise

    def gc(self, owner: dict | None = None) -> list[tuple[str, str | None, str]]:
        """Deletes, until nothing changes, every object all of whose owners are gone (only those
        owned by `owner` when given), as the garbage collector's background deletion would.
        Returns (plural, namespace, name) of what it deleted."""
        owner_uid = owner["metadata"]["uid"] if owner else None
        deleted = []
        while True:
            def dangling():
                live = {o.raw["metadata"].get("uid") for o in self.emu.objects.values() if not o.deleted}
                out = []
                for (res, ns, name), o in self.emu.objects.items():
                    refs = [] if o.deleted else o.raw["metadata"].get("ownerReferences") or []
                    if refs and all(r["uid"] not in live for r in refs) and (
                            owner_uid is None or any(r["uid"] == owner_uid for r in refs)):
                        out.append((f"{res.group}/{res.version}/{res.plural}".lstrip("/"), ns, name))
                return out
            batch = self._call(dangling)
            if not batch:
                return deleted
            for kind, ns, name in batch:
                self.delete(kind, ns, name)
                deleted.append((kind.split("/")[-1], ns, name))

    def kubelet_create_pod_for(self, sts: dict, ready: bool = True, node: str = "gpu-node-1") -> dict:
        """Creates `<sts>-0` from the StatefulSet's template with a Running status, as the
        StatefulSet controller and a kubelet would."""
        self.ensure_node(node)
        template = copy.deepcopy(sts["spec"]["template"])
        meta = template.get("metadata", {})
        name = f"{sts['metadata']['name']}-0"
        spec = template["spec"]
        spec["nodeName"] = node
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": name, "namespace": sts["metadata"]["namespace"],
                "labels": {**meta.get("labels", {}), "statefulset.kubernetes.io/pod-name": name},
                "annotations": meta.get("annotations", {}),
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                     "name": sts["metadata"]["name"], "uid": sts["metadata"]["uid"],
                                     "controller": True, "blockOwnerDeletion": True}],
            },
            "spec": spec,
            "status": pod_status(spec, ready),
        }
        return self.apply(pod)

    def ensure_node(self, name: str, external_ip: str = "203.0.113.7", gpus: int = 1) -> dict:
        """A Ready Node as its kubelet registers it (addresses, GPU capacity), if missing."""
        existing = self.get("nodes", None, name)
        if existing:
            return existing
        cap = {"cpu": "32", "memory": "256Gi", "pods": "110", "nvidia.com/gpu": str(gpus)}
        return self.apply({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                   "nvidia.com/gpu.present": "true"}},
            "status": {
                "addresses": [{"type": "InternalIP", "address": "10.0.0.1"},
                              {"type": "ExternalIP", "address": external_ip},
                              {"type": "Hostname", "address": name}],
                "capacity": cap, "allocatable": cap,
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "lastTransitionTime": now_rfc3339()}],
            },
        })

    # --- faults --------------------------------------------------------------------------------

    def inject(self, **kw) -> Fault:
        """Adds a Fault (status, delay, times, verb, resource, name, subresource, share, rng)."""
        fault = Fault(**kw)
        self._call(self.emu.faults.append, fault)
        return fault

    def fault_hits(self) -> int:
        """Requests answered by an injected fault (error or stall) so far."""
        return self._call(lambda: sum(f.hits for f in self.emu.faults))

    def clear_faults(self) -> None:
        """Drops every injected fault (spent or not)."""
        self._call(self.emu.faults.clear)

    def silence_watches(self, kind: str) -> list:
        """Silences every open watch of a kind: from now on it sends nothing (no event, no
        bookmark) and never ends on its own, as a hung connection or API server; watches started
        later are served normally. Returns the silenced streams (`watch.WatchStream`: `ended_at`
        tells when the client gave up on one)."""
        info = self.registry.find(kind)

        def silence():
            now = time.monotonic()
            hit = [w for w in self.emu.watches if w.resource == info.key and w.silenced_at is None]
            for w in hit:
                w.silenced_at = now
            return hit
        return self._call(silence)

    def set_latency(self, seconds: float) -> None:
        self._call(setattr, self.emu, "latency", seconds)

    # --- waiting -------------------------------------------------------------------------------

    def wait_for(self, predicate, timeout: float = 15.0, message: str = "condition", interval=0.05):
        """Polls `predicate()` until it returns a truthy value (returned) or `timeout` elapses."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                last = predicate()
            except (KeyError, TypeError, IndexError) as e:  # object or field not there yet
                last = e
            else:
                if last:
                    return last
            if time.monotonic() > deadline:
                raise WaitTimeout(f"timed out after {timeout}s waiting for {message}; last: {last!r}")
            time.sleep(interval)


def write_kubeconfig(path: pathlib.Path, port: int) -> pathlib.Path:
    """A kubeconfig for an emulator on 127.0.0.1:`port` (plain HTTP, any token)."""
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: emu, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: emu, user: {token: e2e}}]\n"
        "contexts: [{name: emu, context: {cluster: emu, user: emu, namespace: default}}]\n"
        "current-context: emu\n"
    )
    return path


def pod_status(spec: dict, ready: bool) -> dict:
    now = now_rfc3339()
    flag = "True" if ready else "False"
    return {
        "phase": "Running", "hostIP": "10.0.0.1", "podIP": "10.1.0.7", "startTime": now,
        "conditions": [{"type": t, "status": flag, "lastTransitionTime": now}
                       for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
        "containerStatuses": [
            {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": ready,
             "restartCount": 0, "started": True, "state": {"running": {"startedAt": now}}}
            for c in spec.get("containers", [])
        ],
    }


def _plural_hint(registry: Registry, obj: dict) -> str:
    group_version = obj["apiVersion"]
    group, _, version = group_version.rpartition("/")
    for r in registry.all:
        if r.group == group and r.version == version and r.kind == obj["kind"]:
            return r.plural
    raise KeyError(f"no served resource for {group_version} {obj['kind']}")
