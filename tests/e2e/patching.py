"""Pure Kubernetes object semantics the emulator applies: patches, selectors, generations.

No I/O here; `emulator.py` calls these on stored objects.
"""

import copy
from typing import Any

import jsonpatch
import jsonpointer

_MISSING = object()


class PatchError(Exception):
    """A patch that Kubernetes would reject; `status` is the HTTP code it would answer."""

    def __init__(self, status: int, reason: str, message: str):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: maps merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: dict, ops: list) -> dict:
    """RFC 6902 JSON patch as the apiserver does it: a `test` of a missing path compares as null."""
    if not isinstance(ops, list):
        raise PatchError(400, "BadRequest", "a JSON patch must be a list of operations")
    rest = []
    for op in ops:
        if op.get("op") == "test":
            try:
                actual = jsonpointer.resolve_pointer(target, op.get("path", ""), None)
            except jsonpointer.JsonPointerException:
                actual = None
            if actual != op.get("value"):
                raise PatchError(
                    422, "Invalid", f"the server rejected our request: test failed at {op.get('path')}"
                )
        else:
            rest.append(op)
    try:
        return jsonpatch.apply_patch(copy.deepcopy(target), rest)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as e:
        raise PatchError(422, "Invalid", f"the server rejected our request: {e}") from e


def apply_patch(target: dict, applied: dict, previous: dict | None) -> dict:
    """Server-side apply for a single field manager, without managedFields.

    Fields the manager applied last time and no longer applies are removed (as SSA does for fields
    only that manager owns); maps merge; lists are replaced whole.
    """
    pruned = _prune(copy.deepcopy(target), previous or {}, applied)
    return merge_patch(pruned, applied)


def _prune(target: Any, previous: dict, applied: Any) -> Any:
    if not isinstance(target, dict):
        return target
    for key, old in previous.items():
        if key in ("apiVersion", "kind"):
            continue
        new = applied.get(key, _MISSING) if isinstance(applied, dict) else _MISSING
        if new is _MISSING:
            target.pop(key, None)
        elif isinstance(old, dict) and isinstance(new, dict) and isinstance(target.get(key), dict):
            target[key] = _prune(target[key], old, new)
    return target


def spec_changed(old: dict, new: dict) -> bool:
    """Whether `metadata.generation` must bump: anything besides metadata and status changed."""
    strip = lambda o: {k: v for k, v in o.items() if k not in ("metadata", "status")}  # noqa: E731
    return strip(old) != strip(new)


def parse_selector(text: str | None) -> list[tuple[str, str, set[str]]]:
    """Parses a label selector (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) into requirements."""
    reqs: list[tuple[str, str, set[str]]] = []
    for term in _split_terms(text or ""):
        term = term.strip()
        if not term:
            continue
        if term.startswith("!"):
            reqs.append((term[1:].strip(), "absent", set()))
        elif " notin " in term or " in " in term:
            op = "notin" if " notin " in term else "in"
            key, values = term.split(f" {op} ", 1)
            values = values.strip().removeprefix("(").removesuffix(")")
            reqs.append((key.strip(), op, {v.strip() for v in values.split(",") if v.strip()}))
        elif "!=" in term:
            key, value = term.split("!=", 1)
            reqs.append((key.strip(), "notin", {value.strip()}))
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            reqs.append((key.strip(), "in", {value.strip()}))
        else:
            reqs.append((term, "exists", set()))
    return reqs


def _split_terms(text: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += ch
    return terms + [current]


def selector_matches(reqs: list[tuple[str, str, set[str]]], labels: dict | None) -> bool:
    labels = labels or {}
    for key, op, values in reqs:
        present = key in labels
        ok = {
            "in": present and labels.get(key) in values,
            "notin": not present or labels.get(key) not in values,
            "exists": present,
            "absent": not present,
        }[op]
        if not ok:
            return False
    return True


def field_selector_matches(text: str | None, obj: dict) -> bool:
    """The field selectors clients use on any resource: metadata.name and metadata.namespace."""
    meta = obj.get("metadata", {})
    for term in (text or "").split(","):
        if not term.strip():
            continue
        negate = "!=" in term
        key, value = term.replace("!=", "=").replace("==", "=").split("=", 1)
        actual = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace")}.get(
            key.strip(), _MISSING
        )
        if actual is _MISSING:
            raise PatchError(400, "BadRequest", f"field label not supported: {key.strip()}")
        if (actual == value.strip()) == negate:
            return False
    return True
