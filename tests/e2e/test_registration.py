"""Registration by burn against the fake chain: caps, decay, budgets, audit trail, Events,
metrics, deregistration → re-registration."""

import json

from checks import cond_is, condition, events_for
from lifecycle_env import (COLD, NETUID, TAO, metric, polled, replicas, setup, start_chain,  # noqa: F401
                           status)
from manifests import COLD_MNEMONIC, NS, decoded


def reasons(cluster, name="miner-0"):
    return [e.get("reason") for e in events_for(cluster, "Neuron", name)]


def test_registers_within_the_cap_and_audits_the_spend(cluster, start_chain, operator, apply, get,
                                                       wait_for):
    chain = start_chain(burn=3 * TAO // 10)
    setup(apply, chain, registration={"maxBurnTao": "0.5"})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered: replicas 1")
    [burn] = chain.burns()
    assert burn["burned_rao"] == 3 * TAO // 10 and burn["payer"] == COLD
    st = wait_for(lambda: (s := status(get)).get("uid") is not None and s, timeout=20, message="uid")
    [rec] = st["registration"]
    assert rec["result"] == "Success" and rec["paidRao"] == burn["burned_rao"]
    assert rec["block"] > 0 and rec["txHash"] == burn["tx_hash"] and rec["hotkey"] == st["hotkey"]
    assert "pendingRegistration" not in st
    # the intent was recorded before the submission: the Spend's first stored version is the
    # unresolved intent at the cap. (Neuron status shows it as pendingRegistration only if a
    # reconcile runs while it is open: on the fake chain, inclusion takes milliseconds.)
    [spend] = cluster.list("spends", NS)
    first = cluster.history("spends", NS, spend["metadata"]["name"])[0]
    assert not (first.get("status") or {}).get("result"), first
    assert first["spec"]["limitRao"] == TAO // 2 and first["spec"]["mortalUntilBlock"] >= 1000 + 64
    wait_for(lambda: "Registered" in reasons(cluster), timeout=20, message="Registered Event")
    assert condition(get("neurons", NS, "miner-0"), "RegistrationBlocked") is None
    m = operator.metrics()
    assert metric(m, "tensorfleet_registration_spent_rao_total", namespace=NS, subnet="sn21") == 3 * TAO // 10
    assert metric(m, "tensorfleet_registrations_total", namespace=NS, subnet="sn21", outcome="Success") == 1
    assert metric(m, "tensorfleet_chain_request_duration_seconds_count", endpoint=chain.endpoint,
                  method="register") == 1
    assert metric(m, "tensorfleet_chain_request_duration_seconds_count", endpoint=chain.endpoint,
                  method="snapshot") >= 1
    # no key material anywhere the operator writes
    hot_phrase = json.loads(decoded(get("secrets", NS, "miner-0-hotkey"))["hotkey"])["secretPhrase"]
    written = operator.text() + json.dumps(get("neurons", NS, "miner-0")) + json.dumps(
        events_for(cluster, "Neuron", "miner-0"))
    for phrase in (COLD_MNEMONIC, hot_phrase):
        assert phrase not in written and " ".join(phrase.split()[:3]) not in written
    sn = wait_for(lambda: (s := get("subnets", NS, "sn21")).get("status", {}).get("spentRaoLast24h") and s,
                  timeout=20, message="Subnet spentRaoLast24h")
    assert sn["status"]["spentRaoLast24h"] == 3 * TAO // 10


def test_burn_above_cap_blocks_then_registers_when_it_decays(cluster, start_chain, operator, apply, get,
                                                            wait_for):
    chain = start_chain(burn=2 * TAO, burn_half_life=360)
    setup(apply, chain, subnet_kw={"max_burn": "1"})
    n = wait_for(lambda: cond_is(x := get("neurons", NS, "miner-0"), "RegistrationBlocked", "True",
                                 "BurnAboveCap") and x, timeout=30, message="BurnAboveCap")
    assert "2 TAO" in condition(n, "RegistrationBlocked")["message"]
    wait_for(lambda: "BurnAboveCap" in reasons(cluster), timeout=20, message="BurnAboveCap Event")
    chain.advance(200)  # 2 TAO · 2^(-200/360) ≈ 1.36 TAO: still above the cap
    wait_for(lambda: polled(operator, chain, 1200), timeout=20, message="polled at block 1200")
    assert chain.burns() == [] and replicas(get) == 0
    chain.advance(200)  # ≈ 0.93 TAO
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered once the burn decayed")
    [burn] = chain.burns()
    assert burn["burned_rao"] <= TAO
    wait_for(lambda: condition(get("neurons", NS, "miner-0"), "RegistrationBlocked") is None, timeout=20,
             message="RegistrationBlocked cleared")


def test_subnet_budget_is_never_exceeded(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=3 * TAO // 10)
    # 0.3 is paid first; the next burn (0.378 after the bump) does not fit in the remaining 0.2.
    setup(apply, chain, names=("miner-0", "miner-1"), subnet_kw={"registration": {"maxBurnTao": "1", "budgetTaoPer24h": "0.5"}})

    def settled():
        sts = [status(get, n) for n in ("miner-0", "miner-1")]
        blocked = [n for n in ("miner-0", "miner-1")
                   if cond_is(get("neurons", NS, n), "RegistrationBlocked", "True", "BudgetExhausted")]
        done = [s for s in sts if s.get("registration")]
        return len(blocked) == 1 and len(done) == 1 and blocked

    [blocked] = wait_for(settled, timeout=40, message="one registered, one BudgetExhausted")
    assert len(chain.burns()) == 1
    chain.advance(10)
    wait_for(lambda: polled(operator, chain, 1010), timeout=20, message="a few more polls")
    assert len(chain.burns()) == 1, "budget exhausted: no second burn"
    wait_for(lambda: "BudgetExhausted" in reasons(cluster, blocked), timeout=20, message="Event")


def test_insufficient_balance_blocks_without_spending(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=3 * TAO // 10, balance=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "RegistrationBlocked", "True",
                             "InsufficientBalance"), timeout=30, message="InsufficientBalance")
    assert chain.burns() == [] and chain.ledger() == []


def test_external_mode_never_spends(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain, registration={"mode": "external"})
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "Registered", "False",
                             "AwaitingExternalRegistration"), timeout=30, message="waiting externally")
    chain.advance(5)
    wait_for(lambda: polled(operator, chain, 1005), timeout=20, message="more polls")
    assert chain.ledger() == []


def test_deregistration_then_reregistration(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain)
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    hotkey = status(get)["hotkey"]
    first_uid = wait_for(lambda: (st := status(get)).get("uid") is not None and st, timeout=20,
                         message="uid")["uid"]
    chain.deregister(NETUID, hotkey)

    def phases():
        return [v["status"].get("phase") for v in cluster.history("neurons", NS, "miner-0")
                if v and v.get("status")]

    def sts_replicas():
        return [v["spec"]["replicas"] for v in cluster.history("statefulsets", NS, "miner-0") if v]

    wait_for(lambda: "Deregistered" in phases(), timeout=30, message="phase Deregistered")
    # pod scaled to zero while deregistered: after the first 1, a 0 again
    wait_for(lambda: 0 in sts_replicas()[sts_replicas().index(1):], timeout=20,
             message="StatefulSet scaled to zero")
    # re-registered by burn: a second Success record and a second burn, then the pod again
    wait_for(lambda: len([r for r in status(get).get("registration", []) if r["result"] == "Success"]) == 2,
             timeout=40, message="registered again")
    assert len(chain.burns()) == 2, chain.burns()
    assert chain.uid_of(NETUID, hotkey) is not None
    wait_for(lambda: sts_replicas()[-1] == 1 and (status(get).get("phase") == "Registered"), timeout=20,
             message="registered again: replicas 1, phase Registered")
    wait_for(lambda: "Deregistered" in reasons(cluster), timeout=20, message="Deregistered Event")
    assert first_uid is not None


def test_no_reregistration_when_disabled(cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain(burn=TAO // 10)
    setup(apply, chain, registration={"reregister": False})
    wait_for(lambda: replicas(get) == 1, timeout=30, message="registered")
    chain.deregister(NETUID, status(get)["hotkey"])
    wait_for(lambda: cond_is(get("neurons", NS, "miner-0"), "RegistrationBlocked", "True",
                             "ReregisterDisabled"), timeout=30, message="ReregisterDisabled")
    assert status(get)["phase"] == "Deregistered" and replicas(get) == 0
    assert len(chain.burns()) == 1
