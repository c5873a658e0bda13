"""The ledger against a real Subtensor node (a local devnet), through the API emulator and the
real operator: the case of the spending-engine issue. A Subnet with `budgetTaoPer24h: "0.0025"`
and a burn of 0.001 TAO: Neuron b1 registers and is deleted; b2 and b3 are created; exactly one
of them registers, the other is blocked by the budget: two burns paid, not three. (Read the
chain's side with the devnet kit's `metagraph.py`, the official SDK: two new uids.)

Skipped unless the live variables of `test_live_lifecycle.py` are set. The subnet's burn must
be below 0.00125 TAO (two registrations fit the budget, three do not): the devnet kit's
`setup-subnet.py` pins it at 0.001.
"""

import pytest

from checks import cond_is, condition
from manifests import NS, neuron, secret
from test_live_lifecycle import MNEMONIC, SEED, live_subnet, pytestmark  # noqa: F401

TAO = 10**9
BUDGET = 2_500_000


def spends(cluster, name=None):
    return [s for s in cluster.list("spends", NS)
            if name is None or s["spec"]["neuron"] == name]


def registered(get, name):
    return cond_is(get("neurons", NS, name), "Registered", "True")


def member(name):
    return neuron(name=name, subnet="live", wallet={"coldkeySecret": "cold-live"},
                  axon={"serve": False})


@pytest.mark.timeout(600)
def test_live_budget_counts_the_spends_of_a_deleted_neuron(cluster, start_operator, apply, get, wait_for):
    cold = {"seed": SEED} if SEED else {"mnemonic": MNEMONIC}
    apply(secret("cold-live", cold))
    sub = live_subnet()
    sub["spec"]["registration"]["budgetTaoPer24h"] = "0.0025"
    apply(sub)
    apply(member("b1"))
    start_operator()
    wait_for(lambda: registered(get, "b1"), timeout=300, message="b1 registered on chain")
    [b1] = wait_for(lambda: [s for s in spends(cluster, "b1") if (s.get("status") or {}).get("result")],
                    timeout=60, message="b1's spend resolved")
    assert b1["status"]["result"] == "Success", b1["status"]
    burn = b1["status"]["paidRao"]
    assert 0 < burn and 2 * burn <= BUDGET < 3 * burn, f"the devnet's burn {burn} does not fit this case"

    cluster.delete("neurons", NS, "b1")
    wait_for(lambda: get("neurons", NS, "b1") is None, timeout=60, message="b1 gone")
    assert len(spends(cluster)) == 1, "the spend outlives its Neuron"

    apply(member("b2"))
    apply(member("b3"))
    wait_for(lambda: registered(get, "b2") or registered(get, "b3"), timeout=300,
             message="one of b2/b3 registered")
    loser = "b3" if registered(get, "b2") else "b2"
    wait_for(lambda: cond_is(get("neurons", NS, loser), "RegistrationBlocked", "True", "BudgetExhausted"),
             timeout=120, message=f"{loser} blocked by the budget")
    msg = condition(get("neurons", NS, loser), "RegistrationBlocked")["message"]
    paid = [s["status"]["paidRao"] for s in spends(cluster) if (s.get("status") or {}).get("result") == "Success"]
    assert len(paid) == 2 and sum(paid) <= BUDGET, (paid, msg)
    assert not [s for s in spends(cluster, loser)], "nothing was even attempted for the loser"
    assert not registered(get, loser)
    sn = wait_for(lambda: (s := get("subnets", NS, "live")) and
                  (s.get("status") or {}).get("spentRaoLast24h") == sum(paid) and s,
                  timeout=60, message="the Subnet's 24 h spend counts deleted b1")
    assert sn["status"]["spentRaoLast24h"] == sum(paid)
