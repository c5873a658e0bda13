"""A NeuronSet's budget against the real operator: what it has spent is the ledger's sum (`Spend`
objects written here by hand, as the executor writes them), kept across scale-down, deletion and
recreation of the set, and operator restarts; a member with an unresolved registration intent is
not deleted; BudgetExhausted follows the cap. `test_budget_stops_burn_registrations_at_the_cap`
runs real burns on the fake chain; the pure version is decide::neuronset
`budget_stops_registrations_at_the_cap_and_survives_deletion`."""

import time

import pytest

from checks import cond_is, condition, events_for, ss58_of_mnemonic
from ledger_env import resolve, spend
from manifests import COLD_MNEMONIC, NS, secret, subnet
from neuronsets import TAO, members, neuronset, set_status

NETUID = 21


def test_ledger_survives_scale_down_restarts_and_recreation(cluster, start_operator, apply, get, wait_for):
    apply(subnet())
    apply(neuronset(replicas=3, budget="3"))
    op = start_operator()
    names = ["fleet-0", "fleet-1", "fleet-2"]
    wait_for(lambda: sorted(members(cluster)) == names, message="three members")
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "False", "WithinBudget"),
             message="WithinBudget")

    resolve(cluster, cluster.apply(spend("fleet-0", 0, TAO, neuron_set="fleet")), TAO)
    resolve(cluster, cluster.apply(spend("fleet-2", 1, 2 * TAO, neuron_set="fleet")), 3 * TAO // 2)
    resolve(cluster, cluster.apply(spend("fleet-2", 2, TAO, neuron_set="fleet")), 0, result="TooManyRegistrationsThisBlock")
    in_flight = cluster.apply(spend("fleet-2", 3, TAO // 2, neuron_set="fleet"))  # counts at its limit
    cluster.apply(spend("stranger", 4, 7 * TAO))  # not the set's
    wait_for(lambda: set_status(get).get("spentRao") == 3 * TAO, message="spentRao 3 TAO")
    st = set_status(get)
    assert st["spentTao"] == "3" and "spends" not in st
    assert cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "True", "BudgetExhausted")

    # scale to 1: fleet-2 has a registration in flight, so neither it nor fleet-1 below it goes
    apply(neuronset(replicas=1, budget="3"))
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "Progressing", "True", "Scaling")
             and "waiting for a registration" in condition(get("neuronsets", NS, "fleet"), "Progressing")["message"],
             message="deletion held")
    time.sleep(6)
    assert sorted(members(cluster)) == names, "a member with a pending registration was deleted"

    # the intent resolves (0.5 TAO paid): now both go, highest first; the ledger keeps their spends
    resolve(cluster, in_flight, TAO // 2)
    wait_for(lambda: sorted(members(cluster)) == ["fleet-0"], timeout=20, message="scaled down to one")
    wait_for(lambda: set_status(get)["replicas"] == 1, message="status.replicas 1")
    assert set_status(get)["spentRao"] == 3 * TAO
    assert any(e.get("reason") == "BudgetExhausted" for e in events_for(cluster, "NeuronSet", "fleet"))

    # a restarted operator derives the same from the ledger, and writes nothing new
    assert op.stop() == 0
    versions_before = len(cluster.history("neuronsets", NS, "fleet"))
    seen = len(cluster.requests)
    start_operator()
    wait_for(lambda: any(r.resource == "spends" and r.verb in ("list", "watch") for r in cluster.requests[seen:]),
             message="restarted operator listed the ledger")
    time.sleep(3)
    assert set_status(get)["spentRao"] == 3 * TAO
    assert len(cluster.history("neuronsets", NS, "fleet")) == versions_before, "status churn after restart"

    # deleting the set and making it again under the same name grants nothing new
    cluster.delete("neuronsets", NS, "fleet")
    wait_for(lambda: get("neuronsets", NS, "fleet") is None, message="set gone")
    cluster.gc()
    apply(neuronset(replicas=0, budget="3"))
    wait_for(lambda: (set_status(get) or {}).get("spentRao") == 3 * TAO, message="the new set's ledger")
    assert cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "True")

    # raising the cap lifts the condition
    apply(neuronset(replicas=0, budget="4"))
    wait_for(lambda: cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "False"),
             message="WithinBudget after raising the cap")


# Registration by burn: the executor checks the set's budget against the ledger under one lock.
@pytest.mark.timeout(240)
def test_budget_stops_burn_registrations_at_the_cap(cluster, start_chain, start_operator, apply, get, wait_for):
    chain = start_chain({"head": 1000, "subnets": {str(NETUID): {"burn": TAO, "min_burn": TAO, "max_burn": TAO}}})
    chain.set_balance(ss58_of_mnemonic(COLD_MNEMONIC), 10 * TAO)
    apply(subnet(netuid=NETUID, endpoints=(chain.endpoint,), pollIntervalSeconds=2, max_burn="2"))
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    apply(neuronset(replicas=4, budget="2.5", wallet={"coldkeySecret": "cold-main"}))
    op = start_operator()
    # (while an intent is in flight it counts at its limit, so the condition may show early)
    wait_for(lambda: len(chain.burns()) == 2 and set_status(get).get("spentRao") == 2 * TAO
             and cond_is(get("neuronsets", NS, "fleet"), "BudgetExhausted", "True"), timeout=60,
             message="BudgetExhausted after two registrations")
    assert [b["burned_rao"] for b in chain.burns()] == [TAO, TAO]
    assert set_status(get)["spentRao"] == 2 * TAO
    # the two members left without a registration each report RegistrationBlocked; wait for both
    # (a bare non-empty list would return as soon as the first one is written)
    blocked = lambda: [n for n, m in members(cluster).items()  # noqa: E731
                       if cond_is(m, "RegistrationBlocked", "True", "BudgetExhausted")]
    wait_for(lambda: len(blocked()) >= 2, timeout=30, message="RegistrationBlocked on both waiting members")
    assert len(blocked()) == 2, blocked()
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
