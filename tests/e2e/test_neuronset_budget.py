"""The NeuronSet's spend ledger against the real operator: members' recorded registration spends
(written here as the registration executor records them) are merged into `status.spends`, kept
across scale-down and operator restarts, a member with an unresolved registration intent is not
deleted, and BudgetExhausted follows the cap. That registrations stop exactly at the cap is shown
at the pure level (decide::neuronset `budget_stops_registrations_at_the_cap`): no operator-side
registration executor is part of this branch; `test_budget_stops_burn_registrations_at_the_cap`
is the end-to-end version."""

import time

import pytest

from checks import cond_is, condition, events_for, ss58_of_mnemonic
from manifests import COLD_MNEMONIC, NS, secret, subnet
from neuronsets import TAO, members, neuronset, set_status

NETUID = 21


def record(block, paid, hotkey, tx=None):
    return {"block": block, "txHash": tx or f"0x{block:x}", "paidRao": paid, "result": "Success",
            "hotkey": hotkey}


def spends_of(get):
    return sorted((s["neuron"], s["block"], s["paidRao"]) for s in set_status(get).get("spends", []))


def test_ledger_survives_scale_down_and_restarts(cluster, start_operator, apply, get, wait_for):
    apply(subnet())
    apply(neuronset(replicas=3, budget="3"))
    op = start_operator()
    names = ["fleet-0", "fleet-1", "fleet-2"]
    wait_for(lambda: sorted(members(cluster)) == names, message="three members")
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "False", "WithinBudget"),
             message="WithinBudget")

    cluster.set_status("neurons", NS, "fleet-0", {"registration": [record(100, TAO, "hk0")]})
    cluster.set_status("neurons", NS, "fleet-2", {
        "registration": [record(101, 3 * TAO // 2, "hk2"), record(102, 0, "hk2")],  # a failed try paid 0
        "pendingRegistration": {"hotkey": "hk2", "limitRao": TAO, "nonce": 7, "mortalUntilBlock": 200,
                                "at": "2026-11-22T00:00:00Z"}})
    wait_for(lambda: set_status(get).get("spentRao") == 5 * TAO // 2, message="spentRao 2.5 TAO")
    st = set_status(get)
    assert st["spentTao"] == "2.5"
    assert spends_of(get) == [("fleet-0", 100, TAO), ("fleet-2", 101, 3 * TAO // 2)]
    assert cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "False")
    assert "spent 2.5 of 3 TAO" in condition(get("neuronsets", NS, "fleet"), "BudgetExhausted")["message"]

    # scale to 1: fleet-2 has a registration in flight, so neither it nor fleet-1 below it goes
    apply(neuronset(replicas=1, budget="3"))
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "Progressing", "True", "Scaling")
             and "waiting for a registration" in condition(get("neuronsets", NS, "fleet"), "Progressing")["message"],
             message="deletion held")
    time.sleep(6)
    assert sorted(members(cluster)) == names, "a member with a pending registration was deleted"

    # the intent resolves (0.5 TAO paid): now both go, highest first, their spends kept
    cluster.set_status("neurons", NS, "fleet-2", {
        "pendingRegistration": None,
        "registration": [record(101, 3 * TAO // 2, "hk2"), record(102, 0, "hk2"), record(103, TAO // 2, "hk2")]})
    wait_for(lambda: sorted(members(cluster)) == ["fleet-0"], timeout=20, message="scaled down to one")
    assert spends_of(get) == [("fleet-0", 100, TAO), ("fleet-2", 101, 3 * TAO // 2), ("fleet-2", 103, TAO // 2)]
    wait_for(lambda: (s := get("neuronsets", NS, "fleet")) and s["status"]["spentRao"] == 3 * TAO
             and cond_is(s, "BudgetExhausted", "True", "BudgetExhausted"), message="exhausted")
    wait_for(lambda: set_status(get)["replicas"] == 1, message="status.replicas 1")
    assert any(e.get("reason") == "BudgetExhausted" for e in events_for(cluster, "NeuronSet", "fleet"))

    # a restarted operator derives the same from the ledger, and writes nothing new
    assert op.stop() == 0
    versions_before = len(cluster.history("neuronsets", NS, "fleet"))
    seen = len(cluster.requests)
    start_operator()
    wait_for(lambda: any(r.resource == "neurons" and r.verb == "list" and "neuronset" in str(r.query)
                         for r in cluster.requests[seen:]), message="restarted operator listed members")
    time.sleep(3)
    assert set_status(get)["spentRao"] == 3 * TAO
    assert len(cluster.history("neuronsets", NS, "fleet")) == versions_before, "status churn after restart"

    # deleting the remaining member (scale to 0) frees nothing
    apply(neuronset(replicas=0, budget="3"))
    wait_for(lambda: members(cluster) == {}, message="no members")
    time.sleep(1)
    assert set_status(get)["spentRao"] == 3 * TAO and len(set_status(get)["spends"]) == 3
    spent = [v["status"].get("spentRao", 0) for v in cluster.history("neuronsets", NS, "fleet")
             if v and v.get("status")]
    assert spent == sorted(spent), f"spentRao went down at some point: {spent}"

    # raising the cap lifts the condition
    apply(neuronset(replicas=0, budget="4"))
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "False"),
             message="WithinBudget after raising the cap")


# Registration by burn: the executor takes the set's turn (controller::neuronset_budget::set_budget).
@pytest.mark.timeout(240)
def test_budget_stops_burn_registrations_at_the_cap(cluster, start_chain, start_operator, apply, get, wait_for):
    chain = start_chain({"head": 1000, "subnets": {str(NETUID): {"burn": TAO, "min_burn": TAO, "max_burn": TAO}}})
    chain.set_balance(ss58_of_mnemonic(COLD_MNEMONIC), 10 * TAO)
    apply(subnet(netuid=NETUID, endpoints=(chain.endpoint,), pollIntervalSeconds=2, max_burn="2"))
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    apply(neuronset(replicas=4, budget="2.5", wallet={"coldkeySecret": "cold-main"}))
    op = start_operator()
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "True"), timeout=60,
             message="BudgetExhausted after two registrations")
    assert [b["burned_rao"] for b in chain.burns()] == [TAO, TAO]
    assert set_status(get)["spentRao"] == 2 * TAO
    # both waiting members, not just the first one blocked (returning on one raced the second)
    blocked = wait_for(lambda: len(b := [n for n, m in members(cluster).items()
                                         if cond_is(m, "RegistrationBlocked", "True", "BudgetExhausted")]) >= 2
                       and b, timeout=30, message="RegistrationBlocked on the waiting members")
    assert len(blocked) == 2
    # restart, scale down and up again: still nothing more is burned
    assert op.stop() == 0
    start_operator()
    apply(neuronset(replicas=1, budget="2.5", wallet={"coldkeySecret": "cold-main"}))
    wait_for(lambda: len(members(cluster)) == 1, timeout=30, message="scaled down to one")
    apply(neuronset(replicas=4, budget="2.5", wallet={"coldkeySecret": "cold-main"}))
    wait_for(lambda: len(members(cluster)) == 4, timeout=30, message="scaled up to four")
    chain.advance(5)
    time.sleep(8)
    assert len(chain.burns()) == 2 and set_status(get)["spentRao"] == 2 * TAO
