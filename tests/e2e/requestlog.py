"""What the emulator records of each request (for RBAC checks) and the failures it can inject."""

import random
from dataclasses import dataclass, field
from typing import Any

import kmock


# Token in the kubeconfig of clients other than the operator (the GPU agent): their requests are
# left out of the operator's RBAC log.
AGENT_TOKEN = "e2e-agent"


@dataclass
class RequestRecord:
    """One request as an RBAC rule sees it, plus what the emulator answered."""

    verb: str  # get list watch create update patch delete deletecollection (RBAC verbs)
    method: str
    path: str
    query: dict
    group: str | None
    version: str | None
    resource: str | None
    namespace: str | None
    name: str | None
    subresource: str | None
    content_type: str
    status: int = 0
    # Bearer token of the client: tells the operator's requests from other clients' (the agent).
    user: str = ""
    # User-Agent: tells a test acting as a user (kubectl) from the operator.
    user_agent: str = ""


@dataclass
class Fault:
    """An injected failure or delay for requests matching all given fields (None matches any)."""

    status: int | None = None  # e.g. 409 or 500; None: delay only
    delay: float = 0.0
    times: int | None = 1  # None: forever
    verb: str | None = None
    resource: str | None = None
    name: str | None = None
    subresource: str | None = None
    # A share of the matching requests (0..1), drawn from `rng` (e.g. a seeded random.Random);
    # None: every matching request until `times` is spent.
    share: float | None = None
    rng: Any = None
    hits: int = field(default=0)

    def matches(self, rec: RequestRecord) -> bool:
        return all(
            want is None or want == got
            for want, got in ((self.verb, rec.verb), (self.resource, rec.resource),
                              (self.name, rec.name), (self.subresource, rec.subresource))
        ) and (self.times is None or self.hits < self.times) and (
            self.share is None or (self.rng or random).random() < self.share)


def rbac_verb(req: kmock.Request) -> str:
    method = str(req.method.value).upper()
    if method == "GET":
        return "watch" if req.params.get("watch") in ("true", "1") else ("get" if req.name else "list")
    return {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if req.name else "deletecollection"}.get(method, method.lower())
