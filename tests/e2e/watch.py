"""Watch streams: events after a resourceVersion, selectors, bookmarks, timeouts."""

import asyncio
import time
from dataclasses import dataclass

import aiohttp.web

from patching import PatchError, field_selector_matches, parse_selector, selector_matches


@dataclass
class WatchEntry:
    rv: int
    resource: tuple[str, str, str]
    type: str  # ADDED MODIFIED DELETED
    obj: dict
    old: dict | None


class Filter:
    """Which objects a list or watch request selects (namespace, labels, fields)."""

    def __init__(self, info, namespace: str | None, params: dict):
        self.info, self.namespace = info, namespace
        self.labels = parse_selector(params.get("labelSelector"))
        self.fields = params.get("fieldSelector")
        field_selector_matches(self.fields, {})  # rejects unsupported field labels up front

    def matches(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        meta = obj.get("metadata", {})
        return ((self.namespace is None or meta.get("namespace") == self.namespace)
                and selector_matches(self.labels, meta.get("labels"))
                and field_selector_matches(self.fields, obj))

    def translate(self, entry: WatchEntry) -> str | None:
        """The event type this watcher sees: objects entering or leaving the selection show as
        ADDED or DELETED, as with the apiserver."""
        if entry.resource != self.info.key:
            return None
        now, before = self.matches(entry.obj), self.matches(entry.old)
        if entry.type != "MODIFIED":
            return entry.type if now else None
        return {(True, True): "MODIFIED", (True, False): "ADDED", (False, True): "DELETED"}.get((now, before))


@dataclass
class WatchStream:
    """One open watch, as `Cluster.silence_watches` sees it."""

    resource: tuple[str, str, str]
    namespace: str | None
    query: dict
    silenced_at: float | None = None  # time.monotonic() when silenced
    ended_at: float | None = None  # when it ended (the client went away, or the server closed it)


def _event(kind: str, obj: dict) -> bytes:
    import json
    return json.dumps({"type": kind, "object": obj}).encode() + b"\n"


def _bookmark(emu, info, annotations: dict | None = None) -> bytes:
    meta = {"resourceVersion": str(emu.rv), **({"annotations": annotations} if annotations else {})}
    return _event("BOOKMARK", {"kind": info.kind, "apiVersion": info.api_version, "metadata": meta})


async def serve_watch(emu, request, info) -> aiohttp.web.StreamResponse:
    params = request.params
    try:
        flt = Filter(info, request.namespace, params)
    except PatchError as e:
        from emulator import status_response
        return status_response(e.status, e.reason, e.message)
    raw = request._raw_request
    resp = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    await resp.prepare(raw)
    deadline = time.monotonic() + float(params.get("timeoutSeconds") or 1800)
    bookmarks = params.get("allowWatchBookmarks") == "true"
    since = params.get("resourceVersion") or "0"
    stream = WatchStream(info.key, request.namespace, dict(params))
    emu.watches.append(stream)
    try:
        if params.get("sendInitialEvents") == "true" or since == "0":
            position = emu.rv
            for obj in emu.list_objects(info, request.namespace, params)["items"]:
                await resp.write(_event("ADDED", obj))
            if params.get("sendInitialEvents") == "true":
                await resp.write(_bookmark(emu, info, {"k8s.io/initial-events-end": "true"}))
        else:
            position = int(since)
            oldest = emu.entries[0].rv - 1 if emu.entries else emu.rv
            if position < oldest:
                gone = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410,
                        "reason": "Expired", "message": f"too old resource version: {position} ({oldest})"}
                await resp.write(_event("ERROR", gone))
                return resp
        last_write = time.monotonic()
        while not emu.closing.is_set() and (stream.silenced_at or time.monotonic() < deadline):
            if stream.silenced_at:  # hung: no event, no bookmark, no end, until the client leaves
                if raw.transport is None or raw.transport.is_closing():
                    return resp
                await asyncio.sleep(0.1)
                continue
            tick = emu.tick  # taken before scanning, so a commit during our writes wakes us at once
            first = emu.entries[0].rv if emu.entries else position + 1
            for entry in emu.entries[max(0, position - first + 1):]:
                position = entry.rv
                kind = flt.translate(entry)
                if kind:
                    await resp.write(_event(kind, entry.obj))
                    last_write = time.monotonic()
            if bookmarks and time.monotonic() - last_write >= emu.bookmark_interval:
                await resp.write(_bookmark(emu, info))
                last_write = time.monotonic()
            if raw.transport is None or raw.transport.is_closing():
                return resp
            try:
                await asyncio.wait_for(tick.wait(), timeout=min(1.0, max(0.0, deadline - time.monotonic())))
            except asyncio.TimeoutError:
                pass
        await resp.write_eof()
    except (ConnectionError, RuntimeError):
        pass  # the client went away
    finally:
        stream.ended_at = time.monotonic()
        emu.watches.remove(stream)
    return resp
