"""RBAC exactness: does a set of Roles/ClusterRoles and bindings allow every recorded request, and
does every granted (group, resource, verb) get used? Rules may carry a `rbac-justify:` comment (on
the rule's lines or the comment lines just above it) to be allowed to go unused."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

MARKER = "rbac-justify:"


@dataclass(frozen=True)
class Request:
    verb: str
    group: str
    resource: str
    subresource: str
    namespace: str  # "" for cluster-scoped
    apply: bool = False  # a server-side apply patch

    @classmethod
    def from_json(cls, d: dict) -> "Request":
        return cls(d["verb"], d.get("group") or "", d["resource"], d.get("subresource") or "",
                   d.get("namespace") or "", "apply-patch" in (d.get("content_type") or ""))

    def implied(self) -> list["Request"]:
        """The request plus what the API server also authorizes: a server-side apply that creates
        its object is checked for `create` too (the log cannot tell whether it created)."""
        out = [self]
        if self.verb == "patch" and self.apply and not self.subresource:
            out.append(Request("create", self.group, self.resource, "", self.namespace))
        return out

    @property
    def full_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


@dataclass
class Grant:
    scope: str | None  # None: cluster-wide (ClusterRole via ClusterRoleBinding), else a namespace
    rule: dict
    justified: bool
    source: str
    used: set = field(default_factory=set)

    def triples(self):
        for g in self.rule.get("apiGroups", []):
            for r in self.rule.get("resources", []):
                for v in self.rule.get("verbs", []):
                    yield (g, r, v)

    def allows(self, req: Request) -> bool:
        if self.scope is not None and self.scope != req.namespace:
            return False
        rule = self.rule
        return ((req.group in rule.get("apiGroups", []) or "*" in rule.get("apiGroups", []))
                and (req.full_resource in rule.get("resources", []) or "*" in rule.get("resources", []))
                and (req.verb in rule.get("verbs", []) or "*" in rule.get("verbs", [])))


def rule_blocks(doc_text: str) -> list[str]:
    """The source text of each item of the top-level `rules:` list, with the comment lines that
    directly precede it."""
    lines = doc_text.splitlines()
    start = next((i for i, l in enumerate(lines) if re.match(r"^rules:\s*(#.*)?$", l)), None)
    if start is None:
        return []
    blocks: list[list[str]] = []
    pending: list[str] = []
    item_indent = None
    for line in lines[start + 1:]:
        s = line.strip()
        if not s:
            continue
        indent = len(line) - len(line.lstrip())
        if s.startswith("#"):
            pending.append(line)
            continue
        if s.startswith("-") and (item_indent is None or indent == item_indent):
            item_indent = indent
            blocks.append(pending + [line])
            pending = []
            continue
        if item_indent is None or indent <= item_indent and not s.startswith("-"):
            if indent == 0:
                break
        if blocks:
            blocks[-1] += pending + [line]
            pending = []
    return ["\n".join(b) for b in blocks]


def grants_from_texts(texts: dict[str, str], subject_filter=None) -> list[Grant]:
    """Grants from manifests (name -> YAML text, comments kept). A role counts only if a binding
    in the same texts binds it to a subject accepted by `subject_filter` (default: any)."""
    docs = []
    for name, text in texts.items():
        for part in re.split(r"(?m)^---\s*$", text):
            obj = yaml.safe_load(part)
            if obj:
                docs.append((name, part, obj))
    roles, bound = {}, []
    for name, part, obj in docs:
        if obj["kind"] in ("Role", "ClusterRole"):
            blocks = rule_blocks(part)
            rules = obj.get("rules") or []
            if len(blocks) != len(rules):
                raise AssertionError(f"{name}: cannot tie comments to rules of {obj['metadata']['name']}")
            key = (obj["kind"], obj["metadata"]["name"], obj["metadata"].get("namespace"))
            roles[key] = [(r, MARKER in b, f"{name}: {obj['kind']}/{obj['metadata']['name']}") for r, b in zip(rules, blocks)]
        elif obj["kind"] in ("RoleBinding", "ClusterRoleBinding"):
            if subject_filter is None or any(subject_filter(s) for s in obj.get("subjects", [])):
                bound.append(obj)
    grants = []
    for b in bound:
        ref = b["roleRef"]
        ns = b["metadata"].get("namespace")
        key = (ref["kind"], ref["name"], ns if ref["kind"] == "Role" else None)
        if key not in roles:
            raise AssertionError(f"binding {b['metadata']['name']} refers to missing {key}")
        scope = None if b["kind"] == "ClusterRoleBinding" else ns
        for rule, justified, source in roles[key]:
            grants.append(Grant(scope, rule, justified, source))
    return grants


def check(grants: list[Grant], requests: list[Request]) -> tuple[list[str], list[str], list[str]]:
    """(denied requests, unused unjustified permissions, unused justified permissions)."""
    requests = [i for r in requests for i in r.implied()]
    denied = []
    for req in sorted(set(requests), key=str):
        allowing = [g for g in grants if g.allows(req)]
        if not allowing:
            denied.append(f"{req.verb} {req.group or 'core'}/{req.full_resource} in {req.namespace or '<cluster>'}")
    used = {(r.group, r.full_resource, r.verb) for r in requests}
    used |= {(g, res, "create") for g, res, v in list(used) if v == "patch" and any(
        r.apply and r.group == g and r.full_resource == res for r in requests)}
    unused, justified = set(), set()
    for g in grants:
        for t in g.triples():
            if t not in used and "*" not in t:
                (justified if g.justified else unused).add(f"{t[2]} {t[0] or 'core'}/{t[1]} ({g.source})")
    return denied, sorted(unused), sorted(justified)
