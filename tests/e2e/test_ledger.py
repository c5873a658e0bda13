"""The ledger (`Spend` objects) against the real operator and the fake chain: budgets are sums over
it and outlive the Neurons that spent; deletion waits for unresolved intents (finalizer); one
coldkey shared by two Subnets signs one extrinsic at a time (one queue per signing account)."""

import pytest

from checks import cond_is, condition
from lifecycle_env import COLD, NETUID, TAO, auto_neuron, chain_subnet, setup, start_chain, status  # noqa: F401
from manifests import COLD_MNEMONIC, NS, secret, subnet

BURN = TAO // 1000  # 0.001 TAO


def spends(cluster, **labels):
    items = cluster.list("spends", NS)
    return [s for s in items if all(s["metadata"].get("labels", {}).get(k) == v for k, v in labels.items())]


def resolved(s):
    return (s.get("status") or {}).get("result")


def registered(get, name):
    return status(get, name).get("uid") is not None


def test_budget_counts_the_spends_of_deleted_neurons(cluster, start_chain, operator, apply, get, wait_for):
    """The case of issue 12: budgetTaoPer24h 0.0025, burn 0.001. b1 registers and is deleted;
    b2 and b3 are created: exactly one of them registers."""
    chain = start_chain(burn=BURN)
    setup(apply, chain, names=("b1",), subnet_kw={"registration": {"maxBurnTao": "1", "budgetTaoPer24h": "0.0025"}})
    wait_for(lambda: registered(get, "b1"), timeout=40, message="b1 registered")
    [b1] = wait_for(lambda: [s for s in spends(cluster, **{"tensorfleet.io/neuron": "b1"}) if resolved(s)],
                    timeout=20, message="b1's spend resolved")
    assert b1["status"]["result"] == "Success" and b1["status"]["paidRao"] == BURN
    cluster.delete("neurons", NS, "b1")
    wait_for(lambda: get("neurons", NS, "b1") is None, timeout=20, message="b1 gone")
    assert len(spends(cluster)) == 1, "the spend outlives its Neuron"

    apply(auto_neuron("b2"))
    apply(auto_neuron("b3"))
    wait_for(lambda: registered(get, "b2") or registered(get, "b3"), timeout=40, message="one of b2/b3 registered")
    loser = "b3" if registered(get, "b2") else "b2"
    wait_for(lambda: cond_is(get("neurons", NS, loser), "RegistrationBlocked", "True", "BudgetExhausted"),
             timeout=30, message=f"{loser} blocked by the budget")
    # (the burn rises after each registration, as on the real chain)
    burns = chain.burns()
    assert len(burns) == 2
    spent = sum(b["burned_rao"] for b in burns)
    assert spent <= 2_500_000, f"spent {spent} rao over the 0.0025 TAO budget"
    msg = condition(get("neurons", NS, loser), "RegistrationBlocked")["message"]
    assert f"only {(2_500_000 - spent) / 1e9:.9f}".rstrip("0") in msg, msg
    chain.advance(3)
    wait_for(lambda: (get("subnets", NS, "sn21").get("status") or {}).get("spentRaoLast24h") == spent,
             timeout=20, message="the Subnet's 24 h spend, deleted b1 included")
    assert not registered(get, loser)
    assert sorted(s["spec"]["neuron"] for s in spends(cluster)) == sorted(["b1", "b2" if loser == "b3" else "b3"])


def test_deletion_waits_for_an_unresolved_intent(cluster, start_chain, start_operator, apply, get, wait_for):
    chain = start_chain(burn=BURN)
    crashed = start_operator(env={"TF_FAILPOINT": "registration:after_submit"})
    setup(apply, chain)
    wait_for(lambda: crashed.proc.poll() is not None, timeout=30, message="abort after submit")
    [intent] = spends(cluster)
    assert resolved(intent) is None and intent["spec"]["limitRao"] == TAO
    assert len(chain.burns()) == 1, "submitted, never answered"

    # Deleted while nothing runs: the finalizer holds it.
    cluster.delete("neurons", NS, "miner-0")
    held = get("neurons", NS, "miner-0")
    assert held and held["metadata"].get("deletionTimestamp"), "deletion must wait for the ledger"
    assert "tensorfleet.io/ledger" in held["metadata"]["finalizers"]

    start_operator()
    wait_for(lambda: get("neurons", NS, "miner-0") is None, timeout=40, message="released once resolved")
    [done] = spends(cluster)
    st = done["status"]
    # Resolved from the chain: the block scan found our extrinsic and read its events.
    assert st["result"] == "Success" and st["resolvedBy"] == "ChainScan"
    assert st["paidRao"] == chain.burns()[0]["burned_rao"] == BURN
    assert len(chain.burns()) == 1


def test_one_coldkey_two_subnets_one_nonce_at_a_time(cluster, operator, apply, get, wait_for):
    fakechain = pytest.importorskip("fakechain")
    config = {"head": 1000, "balances": {COLD: 100 * TAO},
              "subnets": {"21": {"burn": BURN}, "22": {"burn": BURN}}}
    server = fakechain.FakeChainServer(config=config)
    try:
        chain = server.start()
    except FileNotFoundError as e:
        pytest.skip(f"fake chain binary missing: {e}")
    try:
        apply(subnet(name="sn21", netuid=21, endpoints=[chain.endpoint], pollIntervalSeconds=2))
        apply(subnet(name="sn22", netuid=22, endpoints=[chain.endpoint], pollIntervalSeconds=2))
        apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
        names = [f"{sn}-m{i}" for sn in ("sn21", "sn22") for i in range(3)]
        for n in names:
            apply(auto_neuron(n, subnet=n.split("-")[0]))
        wait_for(lambda: all(registered(get, n) for n in names), timeout=90, message="six registered")
        ledger = chain.ledger()
        # Nothing the pool refused (a nonce collision is refused as stale or future)...
        assert [e for e in ledger if e["outcome"]["status"] != "included"] == [], ledger
        # ...and each of the coldkey's nonces used by exactly one extrinsic.
        nonces = sorted(e["nonce"] for e in ledger)
        assert nonces == list(range(6)), f"each nonce used once: {nonces}"
        assert {s["spec"]["nonce"] for s in spends(cluster)} == set(range(6))
        assert all(resolved(s) == "Success" for s in spends(cluster))
    finally:
        server.stop()
