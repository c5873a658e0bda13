"""Bad input (issue 8): Neurons, Subnets and Secrets that a real API server would store (or that
only its CRD schema would refuse: the emulator has no admission, so the operator's own validation
must catch them) but that cannot work. Each case must get a condition and a Warning Event on its
own object, and nothing else may change: a healthy Subnet and Neuron in the same namespace keep
every resourceVersion (their children too), the chain sees no write, no pod is scaled up for a
bad object, the operator keeps running, and it does not loop (requests per bad object over a
few seconds are bounded).

Several cases run per operator start: one test per group of the table below.
"""

import base64
import json
import pathlib
import time
from dataclasses import dataclass, field
from typing import Callable

import pytest
from bittensor_wallet import Keypair
from bittensor_wallet.keyfile import serialized_keypair_to_keyfile_data

from checks import condition, events_for, ss58_of_mnemonic
from junkservers import JunkServers
from manifests import COLD_MNEMONIC, NS, neuron, secret, subnet

TAO = 10**9
VECTORS = json.loads((pathlib.Path(__file__).resolve().parents[1] / "vectors" / "keys.json").read_text())
NACL = bytes.fromhex(VECTORS["nacl_coldkey"]["file_hex"])
CHAIN_WRITES = ("register", "add_stake", "remove_stake", "serve_axon")
# Requests the operator may make for one settled bad object in WINDOW seconds: one reconcile is
# about ten; a hot loop makes hundreds.
WINDOW = 6.0
MAX_REQUESTS = 12
# Argon2i runs (512 MiB, seconds each) per $NACL Secret with a wrong password over the whole test:
# the failure is remembered per Secret version, not retried on every reconcile.
MAX_KDF_PER_SECRET = 1


def fresh_mnemonic() -> str:
    return Keypair.generate_mnemonic(12)


def bad_checksum(mnemonic: str) -> str:
    """`mnemonic` with its last word replaced so that the BIP-39 checksum fails (a random
    replacement passes it one time in 16 for 12 words)."""
    words = mnemonic.split()
    for candidate in words + ["abandon", "zoo", "legal", "winner", "thank", "year", "wave", "sausage"]:
        phrase = " ".join(words[:-1] + [candidate])
        try:
            Keypair.create_from_mnemonic(phrase)
        except Exception:
            return phrase
    raise AssertionError("no replacement word breaks the checksum")


def keyfile_json(mnemonic: str) -> dict:
    return json.loads(serialized_keypair_to_keyfile_data(Keypair.create_from_mnemonic(mnemonic)))


def public_keyfile(mnemonic: str) -> str:
    kf = keyfile_json(mnemonic)
    return json.dumps({k: kf[k] for k in ("accountId", "publicKey", "ss58Address")})


def raw_secret(name: str, data: dict[str, bytes]) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": NS},
            "data": {k: base64.b64encode(v).decode() for k, v in data.items()}}


@dataclass
class Env:
    chain: object
    junk: JunkServers


@dataclass
class Case:
    id: str
    kind: str  # "Neuron" or "Subnet": the object that must report
    name: str
    reason: str  # of its condition and of its Warning Event
    objects: Callable[[Env], list[dict]]  # what to apply
    message: str = ""  # expected in the condition's message
    others: set[str] = field(default_factory=set)  # names of the case's other objects (its Secrets)

    @property
    def names(self) -> set[str]:
        """The object, its Secrets and (Neurons) the children it would have."""
        kids = {f"{self.name}-axon", f"{self.name}-wallet", f"{self.name}-0", f"{self.name}-hotkey"}
        return {self.name, *self.others, *(kids if self.kind == "Neuron" else ())}


def bad_neuron(case_id: str, reason: str, message: str = "", secrets=(), **spec) -> Case:
    """A Neuron `bad-<id>` on the valid Subnet `sn-bad`, after the given Secrets."""
    name = f"bad-{case_id}"
    spec.setdefault("subnet", "sn-bad")
    spec.setdefault("axon", {"serve": False})
    return Case(case_id, "Neuron", name, reason,
                lambda env: [*secrets, neuron(name=name, **spec)], message,
                {s["metadata"]["name"] for s in secrets})


def bad_hotkey(case_id: str, data: dict[str, bytes], reason="HotkeySecretInvalid", message="") -> Case:
    sname = f"hk-{case_id}"
    return bad_neuron(case_id, reason, message or sname, secrets=[raw_secret(sname, data)],
                      wallet={"hotkeySecret": sname, "generateHotkey": False})


def bad_coldkey(case_id: str, data: dict[str, bytes] | None, message="") -> Case:
    """An auto-registering Neuron (fresh generated hotkey, burn below every cap, chain reachable)
    whose coldkey Secret is unusable (`None`: missing): it must not register."""
    sname = f"ck-{case_id}"
    return bad_neuron(case_id, "ColdkeyUnusable", message or sname,
                      secrets=[raw_secret(sname, data)] if data is not None else [],
                      wallet={"coldkeySecret": sname}, registration={"maxBurnTao": "0.5"})


def bad_subnet(case_id: str, reason: str, endpoints: Callable[[Env], list[str]], message="", **spec) -> Case:
    name = f"sn-{case_id}"
    spec.setdefault("pollIntervalSeconds", 2)
    return Case(case_id, "Subnet", name, reason,
                lambda env: [subnet(name=name, endpoints=endpoints(env), **spec)],
                message)


M1, M2 = fresh_mnemonic(), fresh_mnemonic()
GROUPS: dict[str, list[Case]] = {
    "neuron-specs": [
        bad_neuron("stake-on-miner", "InvalidSpec", "spec.stake", stake={"targetTao": "10"}),
        # the CRD pattern ^[0-9]+(\.[0-9]{1,9})?$ refuses these; the emulator stores them
        bad_neuron("negative-maxburn", "InvalidSpec", "maxBurnTao", registration={"maxBurnTao": "-1"}),
        bad_neuron("exponent-maxburn", "InvalidSpec", "maxBurnTao", registration={"maxBurnTao": "1e3"}),
        bad_neuron("ten-decimals", "InvalidSpec", "maxBurnTao", registration={"maxBurnTao": "0.0000000001"}),
        bad_neuron("negative-stake", "InvalidSpec", "targetTao", role="validator", stake={"targetTao": "-5"}),
        bad_neuron("axon-port-0", "InvalidSpec", "axon.port", axon={"port": 0, "serve": False}),
        bad_neuron("wallet-name-path", "InvalidSpec", "wallet.name", wallet={"name": "../etc"}),
        bad_neuron("blank-image", "InvalidSpec", "image", image=" "),
        bad_neuron("no-such-subnet", "SubnetNotFound", "nope", subnet="nope"),
        # a name with "/" would address a subresource in the request path: refused as invalid
        bad_neuron("subnet-in-other-namespace", "InvalidSpec", "other/sn-bad", subnet="other/sn-bad"),
        bad_neuron("invalid-subnet", "InvalidSpec", "sn-invalid", subnet="sn-invalid"),  # see SHARED
        # the healthy Neuron's hotkey, named again for a Subnet of another netuid: the newer loses
        bad_neuron("hotkey-of-good-on-netuid-22", "HotkeyConflict", "good-0", subnet="sn-22",
                   wallet={"hotkeySecret": "good-hotkey", "generateHotkey": False}),
    ],
    "hotkey-secrets": [
        bad_hotkey("truncated-json", {"hotkey": b'{"secretPhrase": "' + M1.encode()}),
        bad_hotkey("seed-31-bytes", {"seed": b"0x" + bytes(range(1, 32)).hex().encode()}),
        bad_hotkey("seed-not-hex", {"seed": b"0x" + b"zz" * 32}),
        bad_hotkey("empty-mnemonic", {"mnemonic": b""}),
        bad_hotkey("bad-checksum", {"mnemonic": bad_checksum(M1).encode()}),
        bad_hotkey("not-utf8", {"mnemonic": b"\xff\xfe\xfd" * 8}),
        bad_hotkey("no-known-key", {"notes": b"nothing useful here"}, message="missing key"),
        bad_hotkey("public-only-keyfile", {"hotkey": public_keyfile(M1).encode()}),
        bad_hotkey("private-key-only", {"hotkey": json.dumps(
            {"privateKey": keyfile_json(M1)["privateKey"]}).encode()}),
        bad_hotkey("phrase-of-another-key", {"hotkey": json.dumps(
            {**keyfile_json(M1), "secretPhrase": M2}).encode()}),
        bad_hotkey("encrypted-hotkey", {"hotkey": NACL}),
        bad_neuron("missing-and-not-generated", "HotkeySecretMissing", "hk-absent",
                   wallet={"hotkeySecret": "hk-absent", "generateHotkey": False}),
    ],
    "coldkey-secrets": [
        bad_coldkey("nacl-wrong-password", {"coldkey": NACL, "password": b"not-the-password\n"}),
        bad_coldkey("nacl-no-password", {"coldkey": NACL}),
        bad_coldkey("truncated-json", {"coldkey": b'{"secretPhrase": "' + M2.encode()}),
        bad_coldkey("seed-31-bytes", {"seed": b"0x" + bytes(range(1, 32)).hex().encode()}),
        bad_coldkey("empty-mnemonic", {"mnemonic": b"   "}),
        # a hotkey's public keyfile where the coldkey should be: no private key at all
        bad_coldkey("public-keyfile", {"coldkey": public_keyfile(M2).encode()}),
        bad_coldkey("only-coldkeypub", {"coldkeypub.txt": public_keyfile(M2).encode()}),
        bad_coldkey("proxy-without-real", {"proxy-mnemonic": M2.encode()}),
        bad_coldkey("proxy-bad-real", {"proxy-mnemonic": M2.encode(), "real": b"5NotAnAddress"}),
        bad_coldkey("missing", None, message="does not exist"),
    ],
    "subnets": [
        bad_subnet("closed-port", "ChainUnreachable", lambda e: ["ws://127.0.0.1:9"], "127.0.0.1:9"),
        bad_subnet("accept-close", "ChainUnreachable", lambda e: [e.junk.url("accept_close")]),
        bad_subnet("hang", "ChainUnreachable", lambda e: [e.junk.url("hang")]),
        bad_subnet("http-garbage", "ChainUnreachable", lambda e: [e.junk.url("http_garbage")]),
        bad_subnet("ws-garbage", "ChainUnreachable", lambda e: [e.junk.url("ws_garbage")]),
        bad_subnet("tls-to-plain-tcp", "ChainUnreachable", lambda e: [e.junk.url("http_garbage", "wss")]),
        bad_subnet("unresolvable-host", "ChainUnreachable", lambda e: ["ws://no-such-host.invalid:9944"]),
        bad_subnet("http-scheme", "InvalidSpec", lambda e: ["http://127.0.0.1:9944"], "spec.endpoints[0]"),
        bad_subnet("poll-too-fast", "InvalidSpec", lambda e: [e.chain.endpoint], "pollIntervalSeconds",
                   pollIntervalSeconds=1),
        bad_subnet("negative-maxburn", "InvalidSpec", lambda e: [e.chain.endpoint], "maxBurnTao", max_burn="-1"),
        bad_subnet("garbage-budget", "InvalidSpec", lambda e: [e.chain.endpoint], "budgetTaoPer24h",
                   registration={"maxBurnTao": "1", "budgetTaoPer24h": "lots"}),
        bad_subnet("netuid-not-on-chain", "SubnetNotOnChain", lambda e: [e.chain.endpoint], "netuid 99",
                   netuid=99),
    ],
}
# Objects some cases point at: a valid Subnet for the bad Neurons, one of another netuid, an invalid one.
SHARED = {
    "neuron-specs": lambda env: [subnet(name="sn-bad", endpoints=[env.chain.endpoint], pollIntervalSeconds=2),
                                 subnet(name="sn-22", netuid=22, endpoints=[env.chain.endpoint],
                                        pollIntervalSeconds=2),
                                 subnet(name="sn-invalid", endpoints=[env.chain.endpoint], max_burn="-1")],
}
SHARED["hotkey-secrets"] = SHARED["coldkey-secrets"] = lambda env: SHARED["neuron-specs"](env)[:1]
GENESIS = {"head": 1000, "subnets": {"21": {"burn": TAO // 10}, "22": {"burn": TAO // 10}},
           "balances": {ss58_of_mnemonic(COLD_MNEMONIC): 100 * TAO}}


def reported(cluster, get, case: Case) -> dict | None:
    """The object once it has a condition (True, or Ready=False) and a Warning Event for `reason`."""
    obj = get(case.kind.lower() + "s", NS, case.name)
    conds = [c for c in ((obj or {}).get("status") or {}).get("conditions") or []
             if c["reason"] == case.reason and (c["status"] == "True" or c["type"] == "Ready")]
    events = [e for e in events_for(cluster, case.kind, case.name)
              if e.get("type") == "Warning" and e.get("reason") == case.reason]
    return obj if conds and events else None


def seen(cluster, get, case: Case) -> str:
    """What the object has instead (types, statuses and reasons only: messages may be long)."""
    obj = get(case.kind.lower() + "s", NS, case.name) or {}
    conds = [(c["type"], c["status"], c["reason"]) for c in (obj.get("status") or {}).get("conditions") or []]
    return f"conditions {conds}, events {[e.get('reason') for e in events_for(cluster, case.kind, case.name)]}"


GOOD = [("subnets", "good"), ("neurons", "good-0"), ("statefulsets", "good-0"), ("services", "good-0-axon"),
        ("secrets", "good-0-wallet"), ("secrets", "good-hotkey"), ("pods", "good-0-0")]


def versions(cluster) -> dict:
    """(kind, name) → resourceVersion of every stored version of the healthy objects."""
    return {k: [v and v["metadata"]["resourceVersion"] for v in cluster.history(k[0], NS, k[1])] for k in GOOD}


def healthy_pair(cluster, chain, apply, get, wait_for) -> dict:
    """A Subnet and a registered, running Neuron that nothing in the corpus touches; returns their
    versions once settled (unchanged for 3 s)."""
    mnemonic = fresh_mnemonic()
    chain.register(21, ss58_of_mnemonic(mnemonic))
    apply(secret("good-hotkey", {"mnemonic": mnemonic}))
    apply(subnet(name="good", endpoints=[chain.endpoint], pollIntervalSeconds=2))
    apply(neuron(name="good-0", subnet="good", axon={"serve": False}, registration={"mode": "external"},
                 wallet={"hotkeySecret": "good-hotkey", "generateHotkey": False}))
    sts = wait_for(lambda: (s := get("statefulsets", NS, "good-0")) and s["spec"]["replicas"] == 1 and s,
                   timeout=30, message="healthy Neuron registered: replicas 1")
    cluster.kubelet_create_pod_for(sts)
    wait_for(lambda: (condition(get("neurons", NS, "good-0"), "Ready") or {}).get("status") == "True",
             timeout=30, message="healthy Neuron Ready")
    last, since = versions(cluster), time.monotonic()
    while time.monotonic() - since < 3:
        time.sleep(0.25)
        now = versions(cluster)
        if now != last:
            last, since = now, time.monotonic()
    return last


def touches(rec, names: set[str]) -> bool:
    selector = (rec.query or {}).get("fieldSelector") or ""
    return rec.verb != "watch" and (rec.name in names or any(f"metadata.name={n}" in selector for n in names))


@pytest.mark.parametrize("group", list(GROUPS))
def test_bad_input_reports_on_its_object_and_changes_nothing_else(group, cluster, start_chain, start_operator,
                                                                apply, get, wait_for):
    chain = start_chain(GENESIS)
    cases = GROUPS[group]
    with JunkServers() as junk:
        env = Env(chain, junk)
        op = start_operator()
        good = healthy_pair(cluster, chain, apply, get, wait_for)
        good_events = [e for e in cluster.list("events.k8s.io/v1/events")
                       if (e.get("regarding") or {}).get("name") in {n for _, n in GOOD}]
        for obj in SHARED.get(group, lambda e: [])(env):
            apply(obj)
        for case in cases:
            for obj in case.objects(env):
                apply(obj)
        pending = list(cases)
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            pending = [c for c in pending if not reported(cluster, get, c)]
            time.sleep(0.2)
        assert not pending, "no condition + Warning Event for: " + ", ".join(
            f"{c.id} (want reason {c.reason}; has {seen(cluster, get, c)})" for c in pending)
        for case in cases:
            obj = reported(cluster, get, case)
            msgs = " | ".join(c["message"] for c in obj["status"]["conditions"] if c["reason"] == case.reason)
            assert case.message in msgs, f"{case.id}: {case.message!r} not in {msgs!r}"
        time.sleep(2)  # reconciles queued by the last status writes
        start = len(cluster.requests)
        time.sleep(WINDOW)
        window = cluster.requests[start:]
        counts = {c.id: sum(touches(r, c.names) for r in window) for c in cases}
        print(f"{group}: requests per bad object in {WINDOW}s: {counts}; all requests: {len(window)}")
        whole = {c.id: sum(touches(r, c.names) for r in cluster.requests[:start]) for c in cases}
        print(f"{group}: requests per bad object before: {whole}; all requests {start}")
        busy = {k: n for k, n in counts.items() if n > MAX_REQUESTS}
        assert not busy, f"requests in {WINDOW}s per bad object above {MAX_REQUESTS}: {busy}"
        assert op.proc.poll() is None, "the operator must keep running"
        assert versions(cluster) == good, "the healthy Subnet/Neuron or their children changed"
        calls = chain.calls()
        assert not {m: calls.get(m) for m in CHAIN_WRITES if calls.get(m)}, f"chain writes: {calls}"
        assert chain.burns() == []
        for case in (c for c in cases if c.kind == "Neuron"):
            sts = get("statefulsets", NS, case.name)
            assert sts is None or sts["spec"]["replicas"] == 0, f"{case.id}: StatefulSet scaled up"
            assert all(v is None or v["spec"]["replicas"] == 0
                       for v in cluster.history("statefulsets", NS, case.name)), f"{case.id}: scaled up at some point"
        assert [e for e in cluster.list("events.k8s.io/v1/events")
                if (e.get("regarding") or {}).get("name") in {n for _, n in GOOD}] == good_events, \
            "new Events on the healthy objects"
    text = op.text()
    assert "panicked" not in text and "RUST_BACKTRACE" not in text
    kdf = text.count("deriving $NACL key")
    nacl = sum(1 for c in cases for o in c.objects(env) if o["kind"] == "Secret" and "password" in o["data"]
               and any(base64.b64decode(v).startswith(b"$NACL") for v in o["data"].values()))
    print(f"{group}: {kdf} $NACL key derivations for {nacl} encrypted Secrets with a password")
    assert kdf <= MAX_KDF_PER_SECRET * nacl, f"{kdf} $NACL key derivations for {nacl} such Secrets"
