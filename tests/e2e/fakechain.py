"""Client for the fake Subtensor chain (`tensorfleet-fakechain`) used by the e2e tests.

Standard library only. `FakeChainServer` starts the server on a free port and stops it;
`FakeChain` wraps its admin API (state setup, faults, ledger) and its `Chain` calls.
Accounts are SS58 strings (or "0x" + 64 hex chars); amounts are integers in rao.

    with FakeChainServer(config={"head": 100, "subnets": {"1": {"burn": 10**9}}}) as chain:
        chain.set_balance(coldkey, 10 * TAO)
        ... run the operator against chain.endpoint ("fake+http://127.0.0.1:PORT") ...
        assert len(chain.burns()) == 1
"""

import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

TAO = 10**9
BINARY_ENV = "TENSORFLEET_FAKECHAIN_BIN"


class FakeChainError(Exception):
    """The admin API refused a request (HTTP 400 with {"error": ...})."""


class ChainCallError(Exception):
    """A `Chain` call answered {"err": ChainError}; `.error` is that JSON value."""

    def __init__(self, error):
        super().__init__(json.dumps(error))
        self.error = error

    @property
    def kind(self):
        """The ChainError variant name, e.g. "Rejected", "Unreachable", "SubnetNotFound"."""
        return next(iter(self.error)) if isinstance(self.error, dict) else self.error


class FakeChain:
    def __init__(self, url, timeout=10.0):
        self.url = url.rstrip("/").removeprefix("fake+")
        self.timeout = timeout

    @property
    def endpoint(self):
        """The endpoint to give the operator."""
        return "fake+" + self.url

    def lagging_endpoint(self, blocks):
        """An endpoint of the same chain as seen by a node `blocks` behind the head (at most 64;
        the chain must have advanced that far since it started). Writes sent there reach the
        chain, as a lagging node still gossips them."""
        return f"{self.endpoint}/lag/{blocks}"

    def _request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                text = json.loads(text)["error"]
            except (ValueError, KeyError, TypeError):
                pass
            raise FakeChainError(f"{method} {path}: {e.code}: {text}") from None

    def _get(self, path):
        return self._request("GET", path)

    def _post(self, path, body=None):
        return self._request("POST", path, {} if body is None else body)

    # ---- admin: state ----

    def advance(self, blocks=1):
        """Moves the head; returns the new head."""
        return self._post("/admin/advance", {"blocks": blocks})["head"]

    def set_subnet(self, netuid, **params):
        """Creates the subnet if missing and sets parameters (burn, min_burn, max_burn,
        burn_half_life, registration_allowed, tempo, immunity_period, max_allowed_uids,
        activity_cutoff, weights_version, commit_reveal_enabled, serving_rate_limit, subtoken_enabled, max_regs_per_block, max_regs_per_interval,
        regs_interval_blocks, difficulty, burn_block, registered_at, and the pool:
        swap_mechanism (0 stable 1:1, 1 dynamic), pool_tao and pool_alpha (rao; the price is
        pool_tao / pool_alpha), fee_rate (of 65535, default 33 = HEAD's 0.05 %)).
        Returns {"config": ..., "burn_now": rao}.

            chain.set_subnet(1, swap_mechanism=1, pool_tao=4000 * TAO, pool_alpha=1000 * TAO)
        """
        return self._post(f"/admin/subnets/{netuid}", params)

    def set_runtime(self, **params):
        """fee_rao, has_register_limit, min_stake_rao, has_stake_limit, key_swap_cost,
        key_swap_on_subnet_cost, hotkey_swap_on_subnet_interval (blocks; a first swap on one
        subnet needs the head past it), tx_rate_limit (blocks between two swaps of a coldkey)."""
        return self._post("/admin/runtime", params)

    def set_balance(self, account, free, nonce=None):
        body = {"account": account, "free": free}
        if nonce is not None:
            body["nonce"] = nonce
        return self._post("/admin/balance", body)

    def add_proxy(self, real, delegate, proxy_type="Any", remove=False, delay=0):
        """`Proxy.Proxies`: `delegate` may act for `real` as `proxy_type` (HEAD's filters)."""
        return self._post("/admin/proxy", {"real": real, "delegate": delegate,
                                           "proxy_type": proxy_type, "delay": delay,
                                           "remove": remove})

    def set_coldkey_swap(self, coldkey, executable_at=None, disputed=False):
        """Announces (or with executable_at=None withdraws) a coldkey swap: the chain then
        refuses the coldkey's calls."""
        swap = None if executable_at is None else {"executable_at": executable_at,
                                                   "disputed": disputed}
        return self._post("/admin/coldkey-swap", {"coldkey": coldkey, "swap": swap})

    def set_stake(self, netuid, hotkey, coldkey, alpha):
        """Any coldkey's alpha on a hotkey (e.g. a delegator's); returns the hotkey's total."""
        return self._post("/admin/stake", {"netuid": netuid, "hotkey": hotkey,
                                           "coldkey": coldkey, "alpha": alpha})

    def register(self, netuid, hotkey, coldkey=None, bump_burn=False):
        """Registers a hotkey as someone else would (no fee, not in the ledger); returns the uid."""
        body = {"netuid": netuid, "hotkey": hotkey, "bump_burn": bump_burn}
        if coldkey is not None:
            body["coldkey"] = coldkey
        return self._post("/admin/register", body)["uid"]

    def deregister(self, netuid, hotkey, replacement=None):
        """Prunes a hotkey: another hotkey takes its uid. Returns {"uid", "replacement"}."""
        body = {"netuid": netuid, "hotkey": hotkey}
        if replacement is not None:
            body["replacement"] = replacement
        return self._post("/admin/deregister", body)

    def set_figures(self, netuid, hotkey, **figures):
        """active, rank, trust, consensus, incentive, dividends, validator_trust, emission,
        last_update, validator_permit, stake (sets the owner coldkey's own alpha, rao; others'
        stake on the hotkey is unchanged), registered_at_block."""
        return self._post("/admin/figures",
                          {"netuid": netuid, "hotkey": hotkey, "figures": figures})

    def emit(self, netuid, hotkey, incentive=0, dividends=0, take=None):
        """Emission into a registered hotkey's stake, as HEAD's coinbase pays it: `incentive`
        (alpha-rao) all to the owner coldkey's own stake; of `dividends`, the owner's `take`
        (of 65535; default the chain's 18 %) to the owner, the rest to every staker pro rata.
        Returns {"total": the hotkey's alpha, "owner": the owner's own alpha}."""
        body = {"netuid": netuid, "hotkey": hotkey, "incentive": incentive,
                "dividends": dividends}
        if take is not None:
            body["take"] = take
        return self._post("/admin/emission", body)

    def own_stake(self, netuid, hotkey, coldkey):
        """{"alpha": coldkey's own alpha on the hotkey, "total": the hotkey's alpha}, as the
        snapshot would say (not counted as a chain call)."""
        return self._get(f"/admin/stake/{netuid}/{hotkey}/{coldkey}")

    def swap_hotkey(self, coldkey, hotkey, new_hotkey, netuid=None, keep_stake=False):
        """The coldkey swaps `hotkey` for `new_hotkey` (`swap_hotkey_v2`), as its owner would
        with btcli: an extrinsic of the coldkey (its nonce moves, it pays the fee and
        the swap cost: 0.001 TAO on one subnet, 0.1 TAO on all), in the ledger. The new
        hotkey gets the old one's uid, axon, registration block and, unless keep_stake, all
        stake on it; on all subnets (netuid None) the old hotkey loses its owner. Returns the
        outcome ({"result": "Success" | {"Failed": {"pallet", "error"}}, "fee_rao", ...});
        raises FakeChainError when the pool refuses it (e.g. the fee cannot be paid).
        A swap on one subnet needs the head past hotkey_swap_on_subnet_interval (7200)."""
        body = {"coldkey": coldkey, "hotkey": hotkey, "new_hotkey": new_hotkey,
                "keep_stake": keep_stake}
        if netuid is not None:
            body["netuid"] = netuid
        return self._post("/admin/swap-hotkey", body)

    def dissolve_network(self, netuid):
        """Dissolves a subnet as root would: its pool's TAO is shared out by alpha value among
        the stakers (credited to their coldkeys) and the pool; then its uids, stakes, pool and
        parameters are gone (snapshots say SubnetNotFound). Returns the refunds
        [{"hotkey", "coldkey", "alpha", "tao"}]."""
        return self._post("/admin/dissolve", {"netuid": netuid})

    def register_network(self, netuid, coldkey, hotkey, lock_rao=1000 * TAO, **params):
        """Registers a new subnet at a free (e.g. dissolved) netuid, owned by `coldkey` with
        `hotkey` as uid 0: network_registered_at becomes the head, parameters are a new
        subnet's (burn 1 TAO, 256 uids, immunity 5000, dynamic pool of lock_rao TAO at price
        1, staking off until start_call: pass subtoken_enabled=True), then `params` (any
        set_subnet() key). Returns the subnet's config."""
        return self._post("/admin/register-network",
                          {"netuid": netuid, "coldkey": coldkey, "hotkey": hotkey,
                           "lock_rao": lock_rao, "params": params})

    def reuse_netuid(self, netuid, coldkey, hotkey, lock_rao=1000 * TAO, **params):
        """What the chain does when it prunes a subnet to make room: dissolve `netuid` and
        register another subnet there in the same block. Returns (refunds, config)."""
        refunds = self.dissolve_network(netuid)
        return refunds, self.register_network(netuid, coldkey, hotkey, lock_rao, **params)

    # ---- admin: faults and counters ----

    def inject_fault(self, method, fault, count=1):
        """method: head|snapshot|uid_of|free_balance|account_nonce|register|add_stake|
        remove_stake|serve_axon; fault: timeout|disconnect|included_result_lost (writes only)|
        front_run (add_stake only: someone else's buy of a tenth of the pool's TAO lands just
        before the call, after the caller read the price: price ×1.21)."""
        return self._post("/admin/faults", {"method": method, "fault": fault, "count": count})

    def clear_faults(self):
        """Drops queued faults and turns the unreachable switch off."""
        return self._post("/admin/faults/clear")

    def set_unreachable(self, on=True):
        return self._post("/admin/unreachable", {"on": on})

    def set_rate_limited(self, on=True, lagged=False):
        """Answer every chain call with HTTP 429 (nothing applied), on the live endpoint or, with
        lagged=True, on the lagging ones. clear_faults() turns both off."""
        return self._post("/admin/rate-limit", {"on": on, "lagged": lagged})

    def faults(self):
        """Queued faults, switches and counters: queued, unreachable, rate_limit, calls,
        lagged_calls, rate_limited."""
        return self._get("/admin/faults")

    def calls(self):
        """Chain calls per method on the live endpoint since the last reset (every attempt)."""
        return self._get("/admin/calls")

    def lagged_calls(self):
        """Chain calls per method through the lagging endpoints since the last reset."""
        return self.faults()["lagged_calls"]

    def rate_limited(self):
        """Chain calls per method answered 429 since the last reset."""
        return self.faults()["rate_limited"]

    def reset_calls(self):
        """Zeroes the counters; returns the live endpoint's counts before."""
        return self._post("/admin/calls/reset")

    # ---- admin: reads (not counted as chain calls) ----

    def state(self):
        return self._get("/admin/state")

    def ledger(self):
        return self._get("/admin/ledger")

    def burns(self):
        """Ledger entries that burned TAO (successful registrations)."""
        return [e for e in self.ledger() if e["burned_rao"] > 0]

    def snapshot(self, netuid):
        return self._get(f"/admin/snapshot/{netuid}")

    def account(self, account):
        """{"free": rao, "nonce": n}."""
        return self._get(f"/admin/account/{account}")

    def uid_of(self, netuid, hotkey):
        """The hotkey's uid, or None (accepts SS58 or 0x-hex)."""
        return self._get(f"/admin/uid/{netuid}/{hotkey}")["uid"]

    # ---- Chain calls (counted, subject to faults) ----

    def chain(self, method, **args):
        """Calls a Chain method as the operator would; returns its value or raises
        ChainCallError."""
        reply = self._post(f"/chain/{method}", args)
        if "err" in reply:
            raise ChainCallError(reply["err"])
        return reply["ok"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binary():
    if os.environ.get(BINARY_ENV):
        return os.environ[BINARY_ENV]
    found = shutil.which("tensorfleet-fakechain")
    if found:
        return found
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(
        os.path.dirname(__file__), "..", "..", "target")
    path = os.path.join(target, "debug", "tensorfleet-fakechain")
    if os.path.exists(path):
        return path
    raise FileNotFoundError(
        f"tensorfleet-fakechain not found: set {BINARY_ENV} or build it with "
        "`cargo build --features fake-chain --bin tensorfleet-fakechain`")


class FakeChainServer:
    """Runs `tensorfleet-fakechain` on 127.0.0.1 (a free port unless `port` is given).
    Use as a context manager, or call start() / stop().

    config (genesis; every key optional):
        {"head": 1000,
         "runtime": {"fee_rao": 100000, "has_register_limit": true, "min_stake_rao": 2000000,
                     "has_stake_limit": true, <any set_runtime() parameter>},
         "subnets": {"1": {<any set_subnet() parameter>}},   # burn_block defaults to head
         "balances": {"<ss58 or 0x-hex>": rao},
         "proxies": [{"real": "<ss58>", "delegate": "<ss58>", "proxy_type": "Registration"}]}
    block_ms: advance one block every N ms (default: only chain.advance()).
    """

    def __init__(self, config=None, block_ms=None, port=0, binary=None, startup_timeout=10.0):
        self.config = config
        self.block_ms = block_ms
        self.port = port
        self.binary = binary or find_binary()
        self.startup_timeout = startup_timeout
        self.proc = None
        self.chain = None
        self._config_file = None

    def start(self):
        cmd = [self.binary, "--listen", f"127.0.0.1:{self.port}"]
        if self.block_ms:
            cmd += ["--block-ms", str(self.block_ms)]
        if self.config is not None:
            f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
            json.dump(self.config, f)
            f.close()
            self._config_file = f.name
            cmd += ["--config", f.name]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        url = self._read_address()
        self.chain = FakeChain(url)
        return self.chain

    def _read_address(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith("listening on "):
                    return line.split()[-1]
                if not line:
                    break
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("tensorfleet-fakechain did not start (see its stderr)")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if self._config_file:
            os.unlink(self._config_file)
            self._config_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
