"""A Kubernetes API emulator for end-to-end tests: kmock's `KubernetesEmulator`, made compatible
with what kube-rs expects from a real apiserver.

kmock (pinned in tests/requirements.txt) gives the HTTP server, request parsing, the request log and
the versioned object store (`emulator.objects[res, ns, name].history`). Out of the box it reports
the core group version as "/v1", lists carry no kind/apiVersion/resourceVersion, created objects get
no uid/creationTimestamp/resourceVersion/namespace, there is no PUT, no 409 on stale
resourceVersion, no server-side apply, no status subresource, watches replay everything as
`application/octet-stream`. This subclass replaces its request handling for resource paths with:

* create/get/list/watch/replace/patch (merge, strategic as merge, JSON patch, apply)/delete with
  finalizers; `/status` and `/scale` subresources; a global resourceVersion with 409 on stale
  writes; no-op writes that change nothing (no new resourceVersion, no watch event), as the
  apiserver does, so controllers do not loop on their own writes;
* watches from a resourceVersion (replayed from an event log, 410 when too old),
  `sendInitialEvents` with the initial-events-end bookmark, periodic bookmarks, label and
  metadata.name/namespace field selectors, `timeoutSeconds`, `application/json` streams;
* discovery (`/api`, `/apis`, `/api/v1`, `/apis/<g>`, `/apis/<g>/<v>`) from `resources.Registry`;
* a request log with RBAC verbs (`emulator.log`, records in requestlog.py), injected latency,
  injected error responses and stalls, and silenced watches (open streams that send nothing more,
  not even a bookmark, and ignore their `timeoutSeconds`: a hung connection or API server).

Not emulated: garbage collection, field ownership conflicts, admission (CEL, defaults,
validation), and every controller (a StatefulSet gets no Pod). See README.md.
"""

import asyncio
import copy
import datetime
import secrets
import uuid

import aiohttp.web
import attrs
import kmock
import yaml

from defaults import DEFAULTERS
from patching import PatchError, apply_patch, json_patch, merge_patch, spec_changed
from requestlog import RequestRecord, rbac_verb
from resources import Registry, Resource
from watch import WatchEntry, serve_watch


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_response(code: int, reason: str, message: str, details: dict | None = None):
    return aiohttp.web.json_response({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details or {}, "code": code,
    }, status=code)


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


@attrs.define(kw_only=True)
class Emulator(kmock.KubernetesEmulator):
    registry: Registry
    bookmark_interval: float = 5.0
    rv: int = 0
    entries: list = attrs.field(factory=list)  # WatchEntry log, for watches from a resourceVersion
    applied: dict = attrs.field(factory=dict)  # (key, manager, sub) -> last applied config
    faults: list = attrs.field(factory=list)
    latency: float = 0.0
    log: list = attrs.field(factory=list)
    watches: list = attrs.field(factory=list)  # open watch streams (watch.WatchStream)
    closing: asyncio.Event = attrs.field(factory=asyncio.Event)
    tick: asyncio.Event = attrs.field(factory=asyncio.Event)

    # --- entry point ---------------------------------------------------------------------------

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        res = request.resource
        rec = RequestRecord(
            verb=rbac_verb(request), method=str(request.method.value), path=request.url.path,
            query=dict(request.params), group=res.group if res else None,
            version=res.version if res else None, resource=res.plural if res else None,
            namespace=request.namespace, name=request.name, subresource=request.subresource,
            content_type=request.headers.get("Content-Type", ""),
            user=request.headers.get("Authorization", "").removeprefix("Bearer "),
            user_agent=request.headers.get("User-Agent", ""),
        )
        self.log.append(rec)
        response = await self._serve(request, rec)
        rec.status = response.status
        return response

    async def _serve(self, request: kmock.Request, rec: RequestRecord):
        fault = next((f for f in self.faults if f.matches(rec)), None)
        if fault:
            fault.hits += 1  # taken now: requests arriving during a stall are counted apart
        delay = self.latency + (fault.delay if fault else 0.0)
        if delay and not await self._stall(delay):
            return status_response(503, "ServiceUnavailable", "the emulator is shutting down")
        if fault and fault.status:
            return status_response(fault.status, "InjectedFault", f"injected {fault.status}")
        try:
            return await self._dispatch(request)
        except ApiError as e:
            return status_response(e.code, e.reason, e.message, e.details)
        except PatchError as e:
            return status_response(e.status, e.reason, e.message)

    async def _stall(self, seconds: float) -> bool:
        """Sleeps `seconds`, or less when the emulator closes (a long stall must not hold its
        shutdown); returns whether the whole stall passed."""
        try:
            await asyncio.wait_for(self.closing.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            return True
        return False

    async def _dispatch(self, request: kmock.Request):
        res, path = request.resource, request.url.path.rstrip("/")
        server = f"127.0.0.1:{request.url.port}"
        if res is None:
            if path == "/api":
                return aiohttp.web.json_response(self.registry.api_versions(server))
            if path == "/apis":
                return aiohttp.web.json_response(self.registry.api_group_list())
            if path == "/version":
                return aiohttp.web.json_response({"major": "1", "minor": "33",
                                                  "gitVersion": "v1.33.0-kmock", "platform": "linux/amd64"})
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if res.plural is None:
            doc = (self.registry.api_group(res.group) if res.version is None
                   else self.registry.api_resource_list(res.group, res.version))
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return aiohttp.web.json_response(doc)
        info = self.registry.get(res.group, res.version, res.plural)
        if info is None or (request.subresource and request.subresource not in info.subresources):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        verb = rbac_verb(request)
        if verb == "watch":
            return await serve_watch(self, request, info)
        if verb == "list":
            return aiohttp.web.json_response(self.list_objects(info, request.namespace, request.params))
        body = self._body(request)
        handler = {"get": self._get, "create": self._create, "update": self._replace,
                   "patch": self._patch, "delete": self._delete}.get(verb)
        if handler is None:
            raise ApiError(405, "MethodNotAllowed", f"{verb} is not supported by the emulator")
        obj = await handler(info, request, body)
        if request.subresource == "scale":
            obj = self._scale_view(info, obj)
        return aiohttp.web.json_response(obj, status=201 if verb == "create" else 200)

    def _body(self, request: kmock.Request):
        data = request.data
        if data is None and request.body:
            try:  # apply bodies may be YAML (kubectl); kube-rs sends JSON
                data = yaml.safe_load(request.body)
            except yaml.YAMLError as e:
                raise ApiError(400, "BadRequest", f"cannot decode body: {e}") from e
        return data

    # --- store ---------------------------------------------------------------------------------

    def key(self, info: Resource, ns: str | None, name: str):
        return (kmock.resource(info.group, info.version, info.plural), ns if info.namespaced else None, name)

    def current(self, info: Resource, ns: str | None, name: str) -> dict | None:
        key = self.key(info, ns, name)
        if key not in self.objects or self.objects[key].deleted:
            return None
        return copy.deepcopy(self.objects[key].raw)

    def _not_found(self, info: Resource, name: str) -> ApiError:
        qualified = f"{info.plural}.{info.group}" if info.group else info.plural
        return ApiError(404, "NotFound", f'{qualified} "{name}" not found',
                        {"name": name, "group": info.group, "kind": info.plural})

    def _commit(self, info: Resource, event: str, obj: dict, old: dict | None) -> dict:
        self.rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        key = self.key(info, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        if key in self.objects:
            self.objects[key].create(copy.deepcopy(obj))  # appends a version to the history
        else:
            self.objects[key] = copy.deepcopy(obj)
        if event == "DELETED":
            self.objects[key].delete()
        self.entries.append(WatchEntry(self.rv, info.key, event, copy.deepcopy(obj), old))
        self.tick.set()
        self.tick = asyncio.Event()
        return obj

    def list_objects(self, info: Resource, ns: str | None, params: dict) -> dict:
        from watch import Filter
        flt = Filter(info, ns, params)
        items = [copy.deepcopy(o.raw) for (r, _, _), o in self.objects.items()
                 if (r.group, r.version, r.plural) == info.key and not o.deleted and flt.matches(o.raw)]
        items.sort(key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))
        return {"kind": f"{info.kind}List", "apiVersion": info.api_version,
                "metadata": {"resourceVersion": str(self.rv)}, "items": items}

    # --- verbs ---------------------------------------------------------------------------------

    async def _get(self, info, request, _body):
        obj = self.current(info, request.namespace, request.name)
        if obj is None:
            raise self._not_found(info, request.name)
        return obj

    async def _create(self, info, request, body, keep_status: bool = False):
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of a create must be an object")
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise ApiError(422, "Invalid", "metadata.name: Required value: name or generateName is required")
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        if info.namespaced:
            if request.namespace is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if meta.get("namespace") not in (None, request.namespace):
                raise ApiError(400, "BadRequest", "the namespace of the provided object does not match "
                                                  "the namespace sent on the request")
            meta["namespace"] = request.namespace
        else:
            meta.pop("namespace", None)
        if self.current(info, meta.get("namespace"), meta["name"]) is not None:
            raise ApiError(409, "AlreadyExists", f'{info.plural} "{meta["name"]}" already exists',
                           {"name": meta["name"], "group": info.group, "kind": info.plural})
        obj["apiVersion"], obj["kind"] = info.api_version, info.kind
        if "status" in info.subresources and not keep_status:
            obj.pop("status", None)
        for gone in ("deletionTimestamp", "managedFields", "resourceVersion"):
            meta.pop(gone, None)
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=now_rfc3339(), generation=1)
        if info.key in DEFAULTERS:
            DEFAULTERS[info.key](obj, None)
        return self._commit(info, "ADDED", obj, None)

    def _existing(self, info, request, body) -> dict:
        old = self.current(info, request.namespace, request.name)
        if old is None:
            raise self._not_found(info, request.name)
        want = ((body or {}).get("metadata") or {}).get("resourceVersion") if isinstance(body, dict) else None
        if want and want != old["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {info.plural} "{request.name}": '
                           "the object has been modified; please apply your changes to the latest "
                           "version and try again", {"name": request.name, "kind": info.plural})
        return old

    async def _replace(self, info, request, body):
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of a replace must be an object")
        if request.subresource == "scale":
            old = self._existing(info, request, body)
            return self._write(info, old, self._from_scale(info, old, body), "scale")
        old = self._existing(info, request, body)
        new = copy.deepcopy(body)
        new.setdefault("metadata", {})
        return self._write(info, old, new, request.subresource)

    async def _patch(self, info, request, body):
        ctype = request.headers.get("Content-Type", "").split(";")[0].strip()
        sub = request.subresource
        if ctype == "application/apply-patch+yaml":
            manager = request.params.get("fieldManager")
            if not manager:
                raise ApiError(422, "Invalid", "PatchOptions.meta.k8s.io is invalid: fieldManager: "
                                               "Required value: is required for apply patch")
            if not isinstance(body, dict):
                raise ApiError(400, "BadRequest", "an apply patch must be an object")
            old = self.current(info, request.namespace, request.name)
            akey = (self.key(info, request.namespace, request.name), manager, sub)
            if old is None:
                if sub:
                    raise self._not_found(info, request.name)
                body.setdefault("metadata", {}).setdefault("name", request.name)
                created = await self._create(info, request, body)
                self.applied[akey] = copy.deepcopy(body)
                return created
            old = self._existing(info, request, body)
            new = apply_patch(old, body, self.applied.get(akey))
            self.applied[akey] = copy.deepcopy(body)
        else:
            old = self._existing(info, request, body)
            base = self._scale_view(info, old) if sub == "scale" else old
            if ctype == "application/json-patch+json":
                new = json_patch(base, body)
            elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                new = merge_patch(base, body)  # strategic merge approximated by JSON merge
            else:
                raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown "
                                                           f"format - accepted media types include: "
                                                           f"application/json-patch+json, application/merge-patch+json, "
                                                           f"application/apply-patch+yaml (got {ctype!r})")
            if sub == "scale":
                new = self._from_scale(info, old, new)
        return self._write(info, old, new, sub)

    async def _delete(self, info, request, _body):
        old = self.current(info, request.namespace, request.name)
        if old is None:
            raise self._not_found(info, request.name)
        if old["metadata"].get("finalizers"):
            if old["metadata"].get("deletionTimestamp"):
                return old
            new = copy.deepcopy(old)
            new["metadata"].update(deletionTimestamp=now_rfc3339(), deletionGracePeriodSeconds=0)
            return self._commit(info, "MODIFIED", new, old)
        return self._commit(info, "DELETED", copy.deepcopy(old), old)

    def _write(self, info: Resource, old: dict, new: dict, sub: str | None) -> dict:
        """Keeps what a write may not change, then commits unless nothing changed."""
        if sub == "status":
            new = {**copy.deepcopy(old), "status": new.get("status")}
            if new["status"] is None:
                new.pop("status")
        elif "status" in info.subresources:
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
        for fixed in ("name", "namespace", "uid", "creationTimestamp", "generation",
                      "deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion"):
            if fixed in old_meta:
                meta[fixed] = old_meta[fixed]
            else:
                meta.pop(fixed, None)
        # Like the apiserver (Go's omitempty): an emptied finalizer list is stored as absent.
        if meta.get("finalizers") == []:
            meta.pop("finalizers")
        new["apiVersion"], new["kind"] = info.api_version, info.kind
        if info.key in DEFAULTERS:
            DEFAULTERS[info.key](new, old)
        if spec_changed(old, new):
            meta["generation"] = old_meta.get("generation", 1) + 1
        if new == old:
            return old
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return self._commit(info, "DELETED", new, old)
        return self._commit(info, "MODIFIED", new, old)

    # --- scale ---------------------------------------------------------------------------------

    def _scale_view(self, info: Resource, obj: dict) -> dict:
        meta = obj["metadata"]
        status = {"replicas": _dig(obj, info.status_replicas) or 0}
        if info.selector_path and _dig(obj, info.selector_path):
            status["selector"] = _dig(obj, info.selector_path)
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                  "creationTimestamp") if k in meta},
                "spec": {"replicas": _dig(obj, info.spec_replicas) or 0}, "status": status}

    def _from_scale(self, info: Resource, old: dict, scale: dict) -> dict:
        new = copy.deepcopy(old)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(422, "Invalid", "spec.replicas: Invalid value: must be a non-negative integer")
        target = new
        *parents, last = info.spec_replicas.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[last] = replicas
        return new


def _dig(obj: dict, dotted: str):
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj
