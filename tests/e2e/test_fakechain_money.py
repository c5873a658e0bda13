"""The fake chain's money rules through its e2e client (fakechain.py), no operator: a pool
priced above 1 with the fee and a price limit, own vs delegated alpha with emission, a hotkey
swap by the coldkey, a dissolved netuid registered anew."""

from bittensor_wallet import Keypair

from fakechain import FakeChainError

TAO = 10**9
NETUID = 1


def acct(n):
    """The SS58 of the public key n repeated (the fake chain answers accounts in SS58)."""
    return Keypair(public_key=f"{n:02x}" * 32, ss58_format=42).ss58_address


COLD, DELEGATOR, HOT, NEW_HOT = acct(1), acct(2), acct(10), acct(11)


def chain_at(start_chain, head=1000, **subnet):
    chain = start_chain({"head": head, "subnets": {str(NETUID): subnet},
                         "balances": {COLD: 100 * TAO, DELEGATOR: 50 * TAO}})
    chain.register(NETUID, HOT, coldkey=COLD)
    return chain


def add_stake(chain, signer, amount, limit=None):
    """`add_stake(_limit)` over the operator's wire, as `Chain::add_stake` sends it."""
    head = chain.advance(0)
    return chain.chain("add_stake", netuid=NETUID, hotkey=HOT, amount_rao=amount, limit=limit,
                       signer={"signer": signer},
                       tx={"nonce": chain.account(signer)["nonce"], "birth_block": head, "period": 64})


def test_a_pool_at_4_tao_per_alpha_sells_half_an_alpha_for_2_tao(start_chain):
    chain = chain_at(start_chain, swap_mechanism=1, pool_tao=4000 * TAO, pool_alpha=1000 * TAO)
    assert chain.snapshot(NETUID)["pool"]["price_rao"] == 4 * TAO
    out = add_stake(chain, COLD, 2 * TAO)
    moved = out["stake"]
    assert out["result"] == "Success" and moved["tao_rao"] == 2 * TAO
    assert 0.499 * TAO < moved["alpha_rao"] < 0.5 * TAO and moved["swap_fee_rao"] == 1_007_095
    assert chain.own_stake(NETUID, HOT, COLD) == {"alpha": moved["alpha_rao"], "total": moved["alpha_rao"]}
    # Fill or kill above what 1 % of slippage allows: refused, nothing spent but the fee.
    free = chain.account(COLD)["free"]
    limit = {"limit_price_rao": chain.snapshot(NETUID)["pool"]["price_rao"] * 101 // 100, "allow_partial": False}
    out = add_stake(chain, COLD, 50 * TAO, limit)
    assert out["result"] == {"Failed": {"pallet": "SubtensorModule", "error": "SlippageTooHigh"}}
    assert chain.account(COLD)["free"] == free - 100_000
    # Partial: fills up to the limit only.
    out = add_stake(chain, COLD, 50 * TAO, dict(limit, allow_partial=True))
    assert out["result"] == "Success" and 19 * TAO < out["stake"]["tao_rao"] < 21 * TAO
    assert chain.snapshot(NETUID)["pool"]["price_rao"] <= limit["limit_price_rao"]


def test_a_delegators_stake_and_dividends_are_not_ours(start_chain):
    chain = chain_at(start_chain)
    add_stake(chain, COLD, 2 * TAO)
    add_stake(chain, DELEGATOR, 20 * TAO)
    assert chain.own_stake(NETUID, HOT, COLD) == {"alpha": 2 * TAO, "total": 22 * TAO}
    assert chain.own_stake(NETUID, HOT, DELEGATOR)["alpha"] == 20 * TAO
    # Dividends without take: 1 : 10; incentive: the owner's alone.
    chain.emit(NETUID, HOT, dividends=11 * TAO, take=0)
    assert chain.own_stake(NETUID, HOT, COLD) == {"alpha": 3 * TAO, "total": 33 * TAO}
    emitted = chain.emit(NETUID, HOT, incentive=TAO)
    # Within a rao: the chain's shares round too.
    assert emitted["total"] == 34 * TAO and abs(emitted["owner"] - 4 * TAO) <= 1
    assert chain.own_stake(NETUID, HOT, DELEGATOR)["alpha"] == 30 * TAO


def test_a_hotkey_swap_keeps_the_uid_and_moves_the_stake(start_chain):
    chain = chain_at(start_chain, head=10_000)
    add_stake(chain, COLD, 2 * TAO)
    before = chain.snapshot(NETUID)["neurons"][0]
    free = chain.account(COLD)["free"]
    out = chain.swap_hotkey(COLD, HOT, NEW_HOT, netuid=NETUID)
    assert out["result"] == "Success"
    assert chain.account(COLD)["free"] == free - out["fee_rao"] - TAO // 1000
    after = chain.snapshot(NETUID)["neurons"][0]
    assert (after["uid"], after["hotkey"], after["coldkey"]) == (0, NEW_HOT, before["coldkey"])
    assert after["registered_at_block"] == before["registered_at_block"]
    assert chain.uid_of(NETUID, HOT) is None
    assert chain.own_stake(NETUID, NEW_HOT, COLD)["alpha"] == 2 * TAO
    assert [e["method"] for e in chain.ledger()][-1] == "swap_hotkey_v2"
    assert chain.burns() == [], "a swap burns nothing"
    # Right after: the coldkey's rate limit, a dispatch error (the fee is paid).
    again = chain.swap_hotkey(COLD, NEW_HOT, acct(12), netuid=NETUID)
    assert again["result"]["Failed"]["error"] == "HotKeySetTxRateLimitExceeded"


def test_a_dissolved_netuid_comes_back_as_another_subnet(start_chain):
    chain = chain_at(start_chain)
    add_stake(chain, COLD, 2 * TAO)
    registered_at = chain.snapshot(NETUID)["params"]["network_registered_at"]
    free = chain.account(COLD)["free"]
    head = chain.advance(5)
    refunds, config = chain.reuse_netuid(NETUID, acct(7), acct(70), subtoken_enabled=True)
    assert [(r["coldkey"], r["alpha"]) for r in refunds] == [(COLD, 2 * TAO)]
    assert chain.account(COLD)["free"] == free + refunds[0]["tao"] > free
    snap = chain.snapshot(NETUID)
    assert snap["params"]["network_registered_at"] == head != registered_at
    assert [n["hotkey"] for n in snap["neurons"]] == [acct(70)]
    assert chain.uid_of(NETUID, HOT) is None and config["subtoken_enabled"] is True
    try:
        chain.register_network(NETUID, acct(7), acct(71))
    except FakeChainError as e:
        assert "in use" in str(e)
    else:
        raise AssertionError("a netuid in use cannot be registered")
