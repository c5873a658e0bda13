"""One Subnet, two endpoints of one fake chain (issue 17): one a node 20 blocks behind (listed
first, so trying endpoints in order would use it), the other the fresh node, which later answers
every request with HTTP 429. Decisions never use the older view: a hotkey registered in the fresh
view is never seen deregistered and never registered again, a registration goes through the fresh
node; the rate-limited node is backed off; the lagging node serves only once it has caught up with
what was seen (its older snapshots are discarded, logged once). The chain moves only when told, so
every view's block is known."""

from checks import cond_is, ss58_of_mnemonic
from bittensor_wallet import Keypair
from lifecycle_env import COLD, NETUID, TAO, metric
from manifests import COLD_MNEMONIC, NS, neuron, secret, subnet

LAG = 20


def endpoints_of(get):
    st = (get("subnets", NS, "sn21") or {}).get("status") or {}
    return {e["url"]: e for e in st.get("endpoints", [])}


def subnet_status(get):
    return (get("subnets", NS, "sn21") or {}).get("status") or {}


def miner(name, **spec):
    return neuron(name=name, wallet={"coldkeySecret": "cold-main"}, axon={"serve": False}, **spec)


def discard_logs(operator, endpoint):
    return [e for e in operator.logs() if e.get("endpoint") == endpoint
            and "discarding a snapshot older" in e.get("message", "")]


def test_decisions_never_use_the_lagging_view_and_the_429_endpoint_is_backed_off(
        cluster, start_chain, operator, apply, get, wait_for):
    chain = start_chain({"head": 1000, "subnets": {str(NETUID): {"burn": TAO // 10}},
                         "balances": {COLD: 100 * TAO}})
    chain.advance(30)  # history for the lagging view
    mnemonic = Keypair.generate_mnemonic(12)
    hotkey = ss58_of_mnemonic(mnemonic)
    assert chain.register(NETUID, hotkey, coldkey=COLD) == 0  # at block 1030
    fresh_head = chain.advance(2)  # 1032; the lagging node (at 1012) has not seen it
    lagging, fresh = chain.lagging_endpoint(LAG), chain.endpoint

    apply(subnet(endpoints=[lagging, fresh], pollIntervalSeconds=2))
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    apply(secret("miner-0-hotkey", {"mnemonic": mnemonic}))
    apply(miner("miner-0"))  # registered in the fresh view only
    apply(miner("miner-1"))  # registered in neither: the operator registers it

    def registered(name):
        return ((get("neurons", NS, name) or {}).get("status") or {}).get("uid") is not None
    wait_for(lambda: registered("miner-0") and registered("miner-1"), timeout=30,
             message="both Neurons registered")
    assert get("neurons", NS, "miner-0")["status"]["uid"] == 0
    eps = wait_for(lambda: (e := endpoints_of(get)).get(lagging, {}).get("state") == "Lagging" and e,
                   timeout=20, message="the lagging endpoint reported Lagging")
    assert eps[lagging]["headBlock"] == fresh_head - LAG
    assert eps[fresh]["state"] == "Healthy" and eps[fresh]["headBlock"] >= fresh_head
    assert subnet_status(get)["endpoint"] == fresh
    # The only registration is miner-1's, sent to the fresh node; the lagging node was only
    # asked for its head (no snapshot, no read before a spend, no write).
    [burn] = chain.burns()
    assert burn["call"]["hotkey"] != hotkey and len(chain.ledger()) == 1
    assert set(chain.lagged_calls()) == {"head"}, chain.lagged_calls()
    assert chain.calls().get("register") == 1
    m = operator.metrics()
    assert metric(m, "tensorfleet_chain_endpoint_state", endpoint=lagging, state="Lagging") == 1
    assert metric(m, "tensorfleet_chain_endpoint_state", endpoint=fresh, state="Healthy") == 1
    assert metric(m, "tensorfleet_chain_endpoint_behind_blocks", endpoint=lagging) == LAG

    # The fresh node answers 429 to everything: backed off, 5 s then 10 s.
    chain.reset_calls()
    chain.set_rate_limited(True)
    wait_for(lambda: endpoints_of(get).get(fresh, {}).get("state") == "RateLimited", timeout=10,
             message="the fresh endpoint reported RateLimited")
    assert "429" in endpoints_of(get)[fresh]["lastError"]
    # Nothing usable: the lagging node is still 20 blocks behind the last head seen.
    wait_for(lambda: cond_is(get("subnets", NS, "sn21"), "ChainReachable", "False"), timeout=10,
             message="no usable endpoint")
    # The lagging node 2 blocks behind what was seen: within the tolerance, so asked, but its
    # snapshot is older than the view and discarded (logged once, however often it comes).
    chain.advance(LAG - 2)
    wait_for(lambda: (metric(operator.metrics(), "tensorfleet_chain_snapshots_discarded_total",
                             endpoint=lagging) or 0) >= 2, timeout=10,
             message="the lagging node's older snapshots discarded")
    assert len(discard_logs(operator, lagging)) == 1
    assert subnet_status(get)["block"] == fresh_head
    # Past the last head seen it is the view.
    caught_up = chain.advance(5) - LAG  # 1035
    wait_for(lambda: subnet_status(get).get("block") == caught_up, timeout=10,
             message="the caught-up lagging node's snapshot used")
    assert subnet_status(get)["endpoint"] == lagging
    assert cond_is(get("subnets", NS, "sn21"), "ChainReachable", "True")
    limited = chain.rate_limited()
    assert 1 <= sum(limited.values()) <= 3, f"backed off, not asked every poll: {limited}"
    discarded = metric(operator.metrics(), "tensorfleet_chain_snapshots_discarded_total",
                       endpoint=lagging)
    print(f"429 answers {limited} over {chain.calls()} live calls; lagging snapshots "
          f"discarded {discarded}, then used at block {caught_up}")

    # The fresh node recovers at its next retry and is preferred again.
    chain.set_rate_limited(False)
    wait_for(lambda: subnet_status(get).get("endpoint") == fresh, timeout=25,
             message="back on the fresh endpoint")
    eps = wait_for(lambda: (e := endpoints_of(get))[fresh]["state"] == "Healthy"
                   and e[lagging]["state"] == "Lagging" and e, timeout=10,
                   message="fresh Healthy, lagging Lagging again")

    # Whatever view served, nothing went backwards and nothing was paid twice.
    blocks = [v["status"]["block"] for v in cluster.history("subnets", NS, "sn21")
              if v and "block" in (v.get("status") or {})]
    assert blocks == sorted(blocks), blocks
    for name in ("miner-0", "miner-1"):
        history = [v.get("status") or {} for v in cluster.history("neurons", NS, name) if v]
        first = next(i for i, s in enumerate(history) if s.get("uid") is not None)
        assert all(s.get("uid") == history[first]["uid"] for s in history[first:]), name
        assert all(s.get("phase") != "Deregistered" for s in history), name
        replicas = [v["spec"]["replicas"] for v in cluster.history("statefulsets", NS, name) if v]
        assert 0 not in replicas[replicas.index(1):], (name, replicas)
        if name == "miner-0":
            assert not any(s.get("pendingRegistration") or s.get("registration") for s in history)
    assert len(chain.ledger()) == 1
