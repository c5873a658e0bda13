"""Shared setup for the chain-driven lifecycle tests: a fake chain with a funded coldkey, a Subnet
pointing at it, and auto-registering Neurons using that coldkey."""

import pytest

from checks import ss58_of_mnemonic
from manifests import COLD_MNEMONIC, NS, neuron, secret, subnet

TAO = 10**9
NETUID = 21
COLD = ss58_of_mnemonic(COLD_MNEMONIC)


@pytest.fixture
def start_chain():
    """start_chain(**subnet_params) → a running fake chain (head 1000, subnet 21, the test coldkey
    funded with 100 TAO). Stopped at teardown."""
    fakechain = pytest.importorskip("fakechain")
    servers = []

    def start(head=1000, balance=100 * TAO, **params):
        config = {"head": head, "subnets": {str(NETUID): params}, "balances": {COLD: balance}}
        server = fakechain.FakeChainServer(config=config)
        try:
            handle = server.start()
        except FileNotFoundError as e:
            pytest.skip(f"fake chain binary missing: {e}")
        servers.append(server)
        return handle

    yield start
    for s in servers:
        s.stop()


def chain_subnet(chain, **kw):
    return subnet(endpoints=[chain.endpoint], pollIntervalSeconds=2, **kw)


def auto_neuron(name="miner-0", **spec):
    spec.setdefault("wallet", {"coldkeySecret": "cold-main"})
    return neuron(name=name, **spec)


def setup(apply, chain, names=("miner-0",), subnet_kw=None, **neuron_kw):
    apply(chain_subnet(chain, **(subnet_kw or {})))
    apply(secret("cold-main", {"mnemonic": COLD_MNEMONIC}))
    for n in names:
        apply(auto_neuron(n, **neuron_kw))


def status(get, name="miner-0"):
    return (get("neurons", NS, name) or {}).get("status") or {}


def replicas(get, name="miner-0"):
    sts = get("statefulsets", NS, name)
    return sts and sts["spec"]["replicas"]


def metric(text, name, **labels):
    """Value of one series in Prometheus text, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        series, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            return float(value)
    return None


def polled(operator, chain, head):
    """The operator has read a snapshot at `head` or later from the chain."""
    seen = metric(operator.metrics(), "tensorfleet_chain_head_block", endpoint=chain.endpoint)
    return (seen or 0) >= head
