"""Invariants of the chaos run (test_chaos.py), read from the emulator's change log and the fake
chain's ledger. Each check returns figures for the report and raises AssertionError on a breach."""

import base64
import json
from collections import defaultdict
from decimal import Decimal

from bittensor_wallet import Keypair

from chaos_env import BURN, NEURON_CAP, SubnetPlan, neuron_name
from checks import cond_is
from manifests import NS

TAO = 10**9
REGISTER_CALLS = ("register_limit", "burned_register")


def rao(tao: str | None) -> int | None:
    return None if tao is None else int(Decimal(tao) * TAO)


def ss58(account: str) -> str:
    return Keypair(public_key=account).ss58_address if account.startswith("0x") else account


def fnv1a_hex(data: bytes) -> str:
    """`build::fnv1a_hex`: the StatefulSet's wallet-version annotation over hotkey and coldkeypub."""
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


class Fleet:
    """The plan of every Neuron: its Subnet, its cap, whether it is a twin, its set."""

    def __init__(self, plans: list[SubnetPlan]):
        self.plans = {p.name: p for p in plans}
        self.cap: dict[str, int] = {}  # neuron -> min(Neuron cap, Subnet cap), rao
        self.capped: set[str] = set()
        self.twins: set[str] = set()
        self.subnet_of: dict[str, str] = {}
        for p in plans:
            for i in range(p.standalone):
                name = neuron_name(p, i)
                self.subnet_of[name] = p.name
                self.cap[name] = min(rao(p.max_burn), rao(NEURON_CAP) if i in p.capped else 10**30)
                if i in p.capped:
                    self.capped.add(name)
                if i in p.twins:
                    self.twins.add(name)
            for i in range(p.set_replicas):
                name = f"{p.name}-set-{i}"
                self.subnet_of[name] = p.name
                self.cap[name] = rao(p.max_burn)

    def set_of(self, name: str) -> str | None:
        sn = self.subnet_of[name]
        return f"{sn}-set" if name.startswith(f"{sn}-set-") else None


# --- chain records ----------------------------------------------------------------------------

def registrations(chain) -> list[dict]:
    """Register extrinsics that reached a block: {hotkey, netuid, payer, burned, result, tx, lost}."""
    out = []
    for e in chain.ledger():
        call = e["call"]
        if call["call"] not in REGISTER_CALLS or e["outcome"]["status"] != "included":
            continue
        out.append({"hotkey": ss58(call["hotkey"]), "netuid": call["netuid"], "payer": ss58(e["payer"]),
                    "burned": e["burned_rao"], "result": e["outcome"]["result"], "tx": e["tx_hash"],
                    "lost": e["result_lost"], "block": e["outcome"]["block"]})
    return out


def check_chain(regs: list[dict], plans: list[SubnetPlan]) -> None:
    """No hotkey registered twice; no registration that failed after inclusion (each pays a fee:
    e.g. HotKeyAlreadyRegisteredInSubNet would mean a second submission); the right payer."""
    by_key = defaultdict(list)
    for r in regs:
        by_key[(r["netuid"], r["hotkey"])].append(r)
    twice = {k: v for k, v in by_key.items() if len(v) > 1}
    assert not twice, f"hotkeys registered more than once: {twice}"
    failed = [r for r in regs if r["result"] != "Success"]
    assert not failed, f"registrations included but failed (fee paid): {failed}"
    payer = {p.netuid: p.coldkey for p in plans}
    wrong = [r for r in regs if r["payer"] != payer[r["netuid"]]]
    assert not wrong, f"burns paid by another coldkey: {wrong}"


# --- one pod per hotkey -----------------------------------------------------------------------

def check_one_pod_per_hotkey(cluster) -> dict:
    """At no stored moment do two StatefulSets with replicas >= 1 mount the same hotkey. The
    StatefulSet's pod template names its wallet by the `tensorfleet.io/wallet-version` annotation
    (FNV-1a of hotkey ss58 and coldkeypub.txt); every `<neuron>-wallet` Secret ever written gives
    the annotation → hotkey map. (The emulator runs no StatefulSet controller: replicas >= 1 is
    where a pod would run.)"""
    version_to_hotkey = {}
    for _, _, s in cluster.changes("secrets", NS):
        data = s.get("data") or {}
        if not s["metadata"]["name"].endswith("-wallet") or "hotkey" not in data:
            continue
        hotkey = json.loads(base64.b64decode(data["hotkey"]))["ss58Address"]
        pub = base64.b64decode(data["coldkeypub.txt"]) if "coldkeypub.txt" in data else b""
        version_to_hotkey[fnv1a_hex(hotkey.encode() + b"\0" + pub)] = hotkey
    active: dict[str, str] = {}  # StatefulSet -> hotkey, while replicas >= 1
    changes = cluster.changes("statefulsets", NS)
    peak = 0
    for rv, kind, sts in changes:
        name = sts["metadata"]["name"]
        active.pop(name, None)
        if kind != "DELETED" and sts["spec"].get("replicas", 1) >= 1:
            version = sts["spec"]["template"]["metadata"]["annotations"]["tensorfleet.io/wallet-version"]
            assert version in version_to_hotkey, f"rv {rv}: {name} mounts an unknown wallet {version}"
            hotkey = version_to_hotkey[version]
            holders = [n for n, h in active.items() if h == hotkey]
            assert not holders, f"rv {rv}: {name} and {holders} both run hotkey {hotkey}"
            active[name] = hotkey
        peak = max(peak, len(active))
    return {"statefulset_changes": len(changes), "wallets": len(version_to_hotkey), "peak_running": peak}


# --- spend ------------------------------------------------------------------------------------

def check_spend(regs: list[dict], neurons: list[dict], fleet: Fleet, plans: list[SubnetPlan],
                sets: dict[str, dict] | None) -> dict:
    """Every burn on chain is recorded in its Neuron's status.registration exactly once: `Success`
    with the paid amount and tx hash, or `SuccessAmountUnknown` (the answer was lost: the cost
    limit is recorded, an upper bound). Nothing recorded as paid that was not burned. Every burn
    and every record within the caps; per Subnet and per set, the recorded spend (what budgets
    count) within the budget; with `sets`, each set's status.spentRao equal to its members'."""
    burn_of = {r["hotkey"]: r for r in regs}
    recorded_total = burned_total = unknown = 0
    per_subnet = defaultdict(int)
    per_set = defaultdict(int)
    seen_hotkeys = set()
    for n in neurons:
        name = n["metadata"]["name"]
        st = n.get("status") or {}
        records = st.get("registration") or []
        hotkey = st.get("hotkey")
        successes = [r for r in records if r["result"].startswith("Success")]
        others = [r for r in records if not r["result"].startswith("Success")]
        assert all(r["paidRao"] == 0 for r in others), f"{name}: a failed record paid: {others}"
        assert all(r.get("hotkey") == hotkey for r in records), f"{name}: record for another hotkey"
        burn = burn_of.get(hotkey) if name not in fleet.twins else None
        assert len(successes) == (1 if burn else 0), \
            f"{name} ({hotkey}): records {successes} for chain burns {burn}"
        if burn:
            seen_hotkeys.add(hotkey)
            rec = successes[0]
            assert burn["burned"] <= fleet.cap[name], f"{name}: burned {burn['burned']} above its cap"
            assert rec["paidRao"] <= fleet.cap[name], f"{name}: recorded {rec['paidRao']} above its cap"
            if rec["result"] == "Success":
                assert (rec["paidRao"], rec.get("txHash")) == (burn["burned"], burn["tx"]), \
                    f"{name}: record {rec} vs chain {burn}"
            else:
                assert rec["result"] == "SuccessAmountUnknown" and rec["paidRao"] >= burn["burned"], \
                    f"{name}: record {rec} vs chain {burn}"
                unknown += 1
            recorded_total += rec["paidRao"]
            burned_total += burn["burned"]
            per_subnet[fleet.subnet_of[name]] += rec["paidRao"]
            if fleet.set_of(name):
                per_set[fleet.set_of(name)] += rec["paidRao"]
    stray = set(burn_of) - seen_hotkeys
    assert not stray, f"burns recorded by no Neuron: {[burn_of[h] for h in stray]}"
    assert burned_total == sum(r["burned"] for r in regs)
    for p in plans:
        if p.budget_24h:
            assert per_subnet[p.name] <= rao(p.budget_24h), \
                f"{p.name}: recorded {per_subnet[p.name]} over the 24 h budget {p.budget_24h} TAO"
        if p.set_budget:
            set_name = f"{p.name}-set"
            assert per_set[set_name] <= rao(p.set_budget), \
                f"{set_name}: recorded {per_set[set_name]} over maxTotalBurnTao {p.set_budget}"
            if sets is not None:
                assert sets[set_name]["status"]["spentRao"] == per_set[set_name], \
                    f"{set_name}: status.spentRao {sets[set_name]['status']['spentRao']} != members' {per_set[set_name]}"
    return {"burns": len(regs), "burned_rao": burned_total, "recorded_rao": recorded_total,
            "amount_unknown": unknown, "lost_answers": sum(r["lost"] for r in regs),
            "per_subnet_recorded_rao": dict(per_subnet)}


# --- convergence ------------------------------------------------------------------------------

def verdict(n: dict, fleet: Fleet, registered: set[str], replicas: dict[str, int]) -> str | None:
    """What the Neuron settled as ("registered", "BurnAboveCap", ...), or None while unsettled."""
    name = n["metadata"]["name"]
    st = n.get("status") or {}
    if "pendingRegistration" in st or st.get("observedGeneration") != n["metadata"].get("generation"):
        return None
    if name in fleet.twins:
        return "HotkeyConflict" if cond_is(n, "HotkeyConflict", "True") and name not in replicas else None
    hotkey = st.get("hotkey")
    if hotkey in registered:
        ok = st.get("uid") is not None and replicas.get(name) == 1 and cond_is(n, "Registered", "True")
        return "registered" if ok else None
    for reason in ("BurnAboveCap", "BudgetExhausted"):
        if cond_is(n, "RegistrationBlocked", "True", reason) and replicas.get(name) == 0:
            return reason
    return None


def settled(cluster, chain, fleet: Fleet) -> "dict[str, str] | Pending | None":
    """name -> verdict for every planned Neuron, once all of them settled."""
    neurons = {n["metadata"]["name"]: n for n in cluster.list("neurons", NS)}
    if set(neurons) != set(fleet.subnet_of):
        return None
    # An intent whose outcome is not known yet counts as spent against its budget (it may have
    # been included): until it resolves, a Neuron blocked by that budget is not settled either.
    open_intents = [s["metadata"]["name"] for s in cluster.list("spends", NS)
                    if not (s.get("status") or {}).get("result")]
    if open_intents:
        return Pending(f"{len(open_intents)} intents unresolved, e.g. {open_intents[:3]}")
    registered = {r["hotkey"] for r in registrations(chain)}
    replicas = {s["metadata"]["name"]: s["spec"].get("replicas", 1)
                for s in cluster.list("statefulsets", NS)}
    out = {name: verdict(n, fleet, registered, replicas) for name, n in neurons.items()}
    unsettled = sorted(name for name, v in out.items() if not v)
    if unsettled:
        return Pending(f"{len(unsettled)} Neurons unsettled, e.g. {unsettled[:5]}")
    return out


def ledgers_caught_up(cluster, fleet: Fleet) -> "bool | Pending":
    """Every NeuronSet's status.spentRao equals its members' recorded spend."""
    neurons = {n["metadata"]["name"]: n for n in cluster.list("neurons", NS)}
    for s in cluster.list("neuronsets", NS):
        name = s["metadata"]["name"]
        members = [n for n_name, n in neurons.items() if fleet.set_of(n_name) == name]
        paid = sum(r["paidRao"] for n in members for r in (n.get("status") or {}).get("registration") or [])
        spent = (s.get("status") or {}).get("spentRao", 0)
        if spent != paid:
            return Pending(f"NeuronSet {name}: status.spentRao {spent}, members recorded {paid}")
    return True


class Pending(str):
    """A falsy reason for not being settled yet (shown by wait_for as the last value)."""

    def __bool__(self) -> bool:
        return False


def check_verdicts(verdicts: dict[str, str], neurons: list[dict], fleet: Fleet,
                   plans: list[SubnetPlan]) -> dict:
    """The blocks are the right ones: capped Neurons (and only they) are BurnAboveCap, the rest of
    an unbudgeted Subnet is registered, and a Neuron is BudgetExhausted only when what its
    Subnet's or set's budget has left (after the recorded spend) is below the burn."""
    status = {n["metadata"]["name"]: n.get("status") or {} for n in neurons}
    spent = defaultdict(int)
    for name, st in status.items():
        paid = sum(r["paidRao"] for r in st.get("registration") or [])
        spent[fleet.subnet_of[name]] += paid
        if fleet.set_of(name):
            spent[fleet.set_of(name)] += paid
    for name, v in verdicts.items():
        p = fleet.plans[fleet.subnet_of[name]]
        if name in fleet.twins:
            assert v == "HotkeyConflict", f"{name}: {v}"
        elif name in fleet.capped:
            assert v == "BurnAboveCap", f"{name} (cap {NEURON_CAP} < burn): {v}"
        elif v == "BudgetExhausted":
            left = [rao(p.budget_24h) - spent[p.name]] if p.budget_24h else []
            if fleet.set_of(name) and p.set_budget:
                left.append(rao(p.set_budget) - spent[fleet.set_of(name)])
            said = next((c.get("message") for c in status[name].get("conditions") or []
                         if c.get("type") == "RegistrationBlocked"), None)
            assert left and min(left) < BURN, f"{name}: BudgetExhausted with {left} rao left ({said})"
        else:
            assert v == "registered", f"{name}: {v}"
    counts = defaultdict(int)
    for v in verdicts.values():
        counts[v] += 1
    return dict(counts)
