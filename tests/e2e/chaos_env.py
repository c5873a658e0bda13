"""The chaos run's fleet and its fault driver (test_chaos.py): four Subnets on one fake chain, each
with its own funded coldkey, ~200 auto-registering Neurons (standalone and NeuronSet members) under
caps and budgets, and a seeded driver that SIGKILLs and restarts the operator, injects API errors
and delays, and cuts the chain off."""

import dataclasses
import os
import random
import time

from bittensor_wallet import Keypair

from manifests import neuron, secret, subnet
from neuronsets import neuronset

TAO = 10**9
BURN = TAO // 10  # every subnet's burn, fixed (min = max), so caps and budgets bite exactly
KILL_EVERY = (3, 10)  # seconds between SIGKILLs: long enough for a restarted operator to spend
BLOCK_MS = 200  # fake chain block time: an unresolvable intent expires after 64 blocks (~13 s)


@dataclasses.dataclass
class SubnetPlan:
    name: str
    netuid: int
    max_burn: str  # Subnet spec.registration.maxBurnTao
    budget_24h: str | None  # Subnet spec.registration.budgetTaoPer24h
    standalone: int = 0  # Neurons `<name>-<i>`
    capped: set = dataclasses.field(default_factory=set)  # indexes with Neuron maxBurnTao < burn
    twins: dict = dataclasses.field(default_factory=dict)  # index -> index whose hotkey it shares
    set_replicas: int = 0  # NeuronSet `<name>-set` members
    set_budget: str | None = None  # NeuronSet spec.budget.maxTotalBurnTao
    seed: str = ""  # coldkey seed (0x-hex), filled in by `fleet`

    @property
    def coldkey(self) -> str:
        return Keypair.create_from_seed(self.seed).ss58_address

    @property
    def cold_secret(self) -> str:
        return f"cold-{self.name}"


NEURON_CAP = "0.05"  # below BURN: a capped Neuron is BurnAboveCap for good


def fleet(rng: random.Random, size: int) -> list[SubnetPlan]:
    """`size` Neurons over four Subnets: a 24 h Subnet budget (sn-a), a NeuronSet budget (sn-b),
    Neuron caps below the burn plus Neurons sharing a hotkey (sn-c), and a set under a Subnet
    budget (sn-d). Budgets are set so that about half the budgeted Neurons must be refused."""
    q = size // 4
    plans = [
        SubnetPlan("sn-a", 1, max_burn="1", budget_24h=f"{q * BURN / 2 / TAO:.1f}", standalone=q),
        SubnetPlan("sn-b", 2, max_burn="0.5", budget_24h=None, set_replicas=q,
                   set_budget=f"{q * BURN / 2 / TAO:.1f}"),
        SubnetPlan("sn-c", 3, max_burn="0.2", budget_24h=None, standalone=q,
                   capped={i for i in range(q) if i % 4 == 1},
                   twins={q - 1 - k: k for k in range(3)}),  # the last three share the first three's keys
        SubnetPlan("sn-d", 4, max_burn="0.3", budget_24h=f"{q * BURN * 3 / 4 / TAO:.1f}",
                   set_replicas=size - 3 * q),
    ]
    for p in plans:
        p.seed = "0x" + rng.randbytes(32).hex()
    return plans


def chain_config(plans: list[SubnetPlan]) -> dict:
    return {
        "head": 1000,
        "subnets": {str(p.netuid): {"burn": BURN, "min_burn": BURN, "max_burn": BURN} for p in plans},
        "balances": {p.coldkey: 100 * TAO for p in plans},
    }


def neuron_name(plan: SubnetPlan, i: int) -> str:
    return f"{plan.name}-{i}"


def manifests(plans: list[SubnetPlan], endpoint: str) -> list[dict]:
    """Subnets, coldkey Secrets, standalone Neurons and NeuronSets, in creation order (a twin comes
    after the Neuron whose hotkey it shares, so that one is older and keeps the key)."""
    out = []
    wallet_of = lambda p: {"coldkeySecret": p.cold_secret}  # noqa: E731
    for p in plans:
        registration = {"maxBurnTao": p.max_burn}
        if p.budget_24h:
            registration["budgetTaoPer24h"] = p.budget_24h
        sn = subnet(p.name, netuid=p.netuid, endpoints=[endpoint], pollIntervalSeconds=2)
        sn["spec"]["registration"] = registration
        out.append(sn)
        out.append(secret(p.cold_secret, {"seed": p.seed}))
        for i in range(p.standalone):
            spec = {"wallet": wallet_of(p), "registration": {"mode": "auto"}, "axon": {"serve": False}}
            if i in p.capped:
                spec["registration"]["maxBurnTao"] = NEURON_CAP
            if i in p.twins:
                spec["wallet"]["hotkeySecret"] = f"{neuron_name(p, p.twins[i])}-hotkey"
            out.append(neuron(neuron_name(p, i), subnet=p.name, **spec))
        if p.set_replicas:
            out.append(neuronset(f"{p.name}-set", replicas=p.set_replicas, subnet=p.name,
                                 budget=p.set_budget, wallet=wallet_of(p), axon={"serve": False}))
    return out


API_FAULT_TARGETS = [  # (verb, resource) the operator uses; None matches any
    ("patch", "neurons"), ("list", "neurons"), ("watch", "neurons"), ("patch", "statefulsets"),
    ("get", "statefulsets"), ("patch", "secrets"), ("get", "secrets"), ("create", "secrets"),
    ("get", "subnets"), ("patch", "subnets"), ("get", "neuronsets"), ("patch", "neuronsets"),
    ("create", "neurons"), ("create", "events"), ("get", "pods"), (None, None),
]
SHARES = [  # Fault kwargs: every request has these chances to fail or stall (1 in 25 fails)
    {"status": 500, "share": 0.02}, {"status": 409, "share": 0.01},
    {"status": 409, "share": 0.03, "verb": "patch"},  # writes meet conflicts more
    {"delay": 3.0, "share": 0.003}, {"delay": 10.0, "share": 0.002},
]
CHAIN_METHODS = ["head", "snapshot", "uid_of", "free_balance", "account_nonce", "register"]


class Chaos:
    """Seeded faults, one tick at a time; `log` says what was done when (printed on failure)."""

    def __init__(self, rng: random.Random, cluster, chain, start_operator):
        self.rng, self.cluster, self.chain, self.start_operator = rng, cluster, chain, start_operator
        self.operators = []
        self.kills = 0
        self.log: list[str] = []
        self.t0 = time.monotonic()
        self.unreachable_until = 0.0

    def note(self, what: str) -> None:
        self.log.append(f"{time.monotonic() - self.t0:6.2f}s {what}")

    def start(self):
        log = os.environ.get("TF_CHAOS_RUST_LOG")  # e.g. info,tensorfleet=debug,kube_runtime=debug
        op = self.start_operator(env={"RUST_LOG": log} if log else None)
        self.operators.append(op)
        self.note(f"operator {len(self.operators) - 1} started")
        return op

    def kill(self) -> None:
        op = self.operators[-1]
        op.proc.kill()
        op.proc.wait(10)
        op._log.close()
        self.kills += 1
        self.note(f"operator {len(self.operators) - 1} SIGKILLed")

    def run(self, until, min_seconds: float, max_seconds: float, tick: float = 0.25) -> bool:
        """Kills and restarts the operator every 3-10 s (`KILL_EVERY`); a share of API requests
        fail or stall (`SHARES`); each tick maybe adds a burst of API errors on one kind of
        request, a 1-12 s stall, a chain fault, or cuts the chain off for 1-4 s. Goes on for at least
        `min_seconds`, then until `until()` (checked once a second) or `max_seconds`; returns
        whether `until()` was reached."""
        rng = self.rng
        # The first two registrations land but their answers are lost, whatever the schedule.
        self.chain.inject_fault("register", "included_result_lost", 2)
        self.note("chain included_result_lost x2 on register")
        # A share of all API requests fail or stall, throughout.
        api_rng = random.Random(rng.random())
        for kw in SHARES:
            self.cluster.inject(times=None, rng=api_rng, **kw)
        self.note(f"api shares {SHARES}")
        self.start()
        reached, checked = False, 0.0
        next_kill = time.monotonic() + rng.uniform(*KILL_EVERY)
        while True:
            now = time.monotonic()
            if now - checked >= 1:
                checked = now
                reached = reached or bool(until())
                if (reached and now - self.t0 >= min_seconds) or now - self.t0 >= max_seconds:
                    return reached
            if now >= next_kill:
                self.kill()
                self.start()
                next_kill = time.monotonic() + rng.uniform(*KILL_EVERY)
            roll = rng.random()
            if roll < 0.06:
                verb, resource = rng.choice(API_FAULT_TARGETS)
                status = rng.choice([409, 500])
                times = rng.randint(1, 4)
                self.cluster.inject(status=status, times=times, verb=verb, resource=resource)
                self.note(f"api {status} x{times} on {verb} {resource}")
            elif roll < 0.09:
                verb, resource = rng.choice(API_FAULT_TARGETS[:-1])
                delay = rng.uniform(1, 12)
                self.cluster.inject(delay=delay, times=1, verb=verb, resource=resource)
                self.note(f"api delay {delay:.1f}s on {verb} {resource}")
            elif roll < 0.16:
                method = rng.choice(CHAIN_METHODS)
                fault = rng.choice(["timeout", "disconnect"] + (["included_result_lost"] * 2
                                                                 if method == "register" else []))
                count = rng.randint(1, 3)
                self.chain.inject_fault(method, fault, count)
                self.note(f"chain {fault} x{count} on {method}")
            elif roll < 0.18 and now >= self.unreachable_until:
                self.chain.set_unreachable(True)
                self.unreachable_until = now + rng.uniform(1, 4)
                self.note("chain unreachable")
            if self.unreachable_until and now >= self.unreachable_until:
                self.chain.set_unreachable(False)
                self.unreachable_until = 0.0
                self.note("chain reachable")
            time.sleep(tick)

    def stop(self) -> None:
        """Ends every fault; the last operator keeps running."""
        self.api_faults = self.cluster.fault_hits()
        self.chain_faults = sum(1 for line in self.log if " chain " in line)
        self.cluster.clear_faults()
        self.chain.clear_faults()  # also turns the unreachable switch off
        self.unreachable_until = 0.0
        self.note("faults cleared")
