"""Fleet-scale benchmark (issue 8): N Neurons across M Subnets against a Kubernetes API emulator
(`--apiserver rust`: tests/bench/apiserver, default; `python`: tests/e2e/cluster.py; injected
latency per request either way) and the fake chain, every hotkey already
registered on chain. Not part of the test suite; run it with `tests/bench/run.sh` (see --help).

Measures, per run: time from operator start until every Neuron is Ready with status written; API
requests per Neuron (reads/writes); chain reads per poll interval; operator peak RSS (VmHWM);
reconcile duration p50/p99 (estimated from the /metrics histogram buckets); API writes over a
steady window with an unchanged chain. Then the same with the benchmark-only per-Neuron chain-read
baseline (`TF_BENCH_CHAIN_READS=per-neuron`, honoured only by fake-chain builds) as a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

from bittensor_wallet import Keypair  # noqa: E402

from fakechain import TAO, FakeChainServer  # noqa: E402
from fleet_lag import HEAD, weights_age  # noqa: E402
from fleet_run import run_once  # noqa: E402


def targets(neurons: int, poll_seconds: int) -> dict:
    """Issue 15's targets: < 5 s and < 64 MiB up to 1,000 Neurons, < 60 s and < 300 MiB at 10,000;
    at most 8 API requests per Neuron to converge; a chain change or a staleness crossing acted
    on within a poll interval + 1 s."""
    small = neurons <= 1000
    return {"converge_seconds": 5.0 if small else 60.0, "rss_mib": 64.0 if small else 300.0,
            "requests_per_neuron": 8.0, "steady_writes": 0, "lag_seconds": poll_seconds + 1.0}


def make_fleet(neurons: int, subnets: int) -> list[tuple[str, str, int, str]]:
    """(name, hotkey seed hex, netuid, role), round-robin over netuids 1..M; the first Neuron of
    each Subnet is a validator (the staleness figure), the rest miners. Seeds stay in memory and in
    the emulator's Secrets only (never printed or written to the report)."""
    return [(f"bench-{i:05d}", "0x" + os.urandom(32).hex(), 1 + i % subnets,
             "validator" if i < subnets else "miner") for i in range(neurons)]


def start_chain(fleet, subnets: int) -> FakeChainServer:
    per_subnet = -(-len(fleet) // subnets)
    config = {"head": HEAD, "subnets": {
        str(i): {"burn": TAO, "max_allowed_uids": max(256, per_subnet), "tempo": 360,
                 "immunity_period": 5000} for i in range(1, subnets + 1)}}
    binary = os.environ.get("TF_FAKECHAIN_BIN") or None
    server = FakeChainServer(config=config, binary=binary)
    chain = server.start()
    for i, (_, seed, netuid, role) in enumerate(fleet):
        hotkey = Keypair.create_from_seed(seed).ss58_address
        chain.register(netuid, hotkey)
        if role == "validator":  # fresh weights, until the lag phase moves the head (fleet_lag)
            chain.set_figures(netuid, hotkey, last_update=HEAD - weights_age(i), validator_permit=True)
    return server


def quantile(metrics: str, controller: str, q: float) -> float | str | None:
    """histogram_quantile as Prometheus computes it: linear within the bucket holding rank q."""
    prefix = "tensorfleet_reconcile_duration_seconds_bucket{"
    buckets = []
    for line in metrics.splitlines():
        if line.startswith(prefix) and f'controller="{controller}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
    buckets.sort()
    if not buckets or buckets[-1][1] == 0:
        return None
    rank = q * buckets[-1][1]
    lo_bound, lo_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return f">{lo_bound}"  # above the last finite bucket: its bound is all we know
            return lo_bound + (bound - lo_bound) * (rank - lo_count) / max(count - lo_count, 1e-9)
        lo_bound, lo_count = bound, count
    return None


def summarize(r: dict) -> dict:
    m = r.pop("metrics_text")
    n = r["neurons"]
    api = r["api_until_converged"]
    r["api_per_neuron_until_converged"] = {
        "total": round(api["total"] / n, 2), "reads": round(api["reads"] / n, 2),
        "writes": round(api["writes"] / n, 2)}
    r["reconcile_seconds_estimated_from_buckets"] = {
        c: {"p50": quantile(m, c, 0.5), "p99": quantile(m, c, 0.99)} for c in ("neuron", "subnet")}
    r["operator_cpu_ms_per_neuron"] = round(r["cpu_until_converged"]["operator_s"] / n * 1000, 3)
    r["rss_growth_kib_per_neuron"] = round(
        (r["operator_peak_rss_mib"] - r["operator_rss_at_start_mib"]) * 1024 / n, 2)
    r["targets"] = targets(n, r["poll_seconds"])
    return r


def fmt(r: dict, title: str) -> str:
    a, s = r["api_per_neuron_until_converged"], r["api_steady"]
    TARGETS = r["targets"]  # noqa: N806
    lag = lambda k: (f"max {r[k]['max_s']} s, median {r[k]['median_s']} s, min {r[k]['min_s']} s over {r[k]['seen']}/"  # noqa: E731
                     f"{r[k]['samples']} (target <= {TARGETS['lag_seconds']} s)") if r.get(k) else "not measured"
    rec = r["reconcile_seconds_estimated_from_buckets"]["neuron"]
    p = (lambda v: "n/a" if v is None else f"{v} s" if isinstance(v, str) else f"{v * 1000:.1f} ms")
    return "\n".join([
        f"== {title}: {r['apiserver']} API server, {r['neurons']} Neurons, {r['subnets']} Subnets, {r['latency_ms']} ms/request, "
        f"poll {r['poll_seconds']} s",
        f"  converged (all Ready, status written): {r['converge_seconds']:.2f} s "
        f"(target < {TARGETS['converge_seconds']} s)",
        f"  API requests per Neuron until converged: {a['total']} ({a['reads']} reads, {a['writes']} writes; "
        f"target <= {TARGETS['requests_per_neuron']})",
        f"  chain calls until converged: {r['chain_calls_until_converged']}",
        f"  chain reads per poll interval (steady): {r['chain_reads_per_poll']} "
        f"(target = {r['subnets']} Subnets)",
        f"  operator peak RSS (VmHWM): {r['operator_peak_rss_mib']} MiB (target < {TARGETS['rss_mib']}); "
        f"RSS at start {r['operator_rss_at_start_mib']} MiB, after the steady window "
        f"{r['operator_rss_after_steady_mib']} MiB",
        f"  Neuron reconcile p50 {p(rec['p50'])}, p99 {p(rec['p99'])} (estimated from histogram buckets)",
        f"  API writes in steady state ({r['steady_seconds']} s): {s['writes']} (target 0); "
        f"reads {s['reads']}",
        f"  settle between convergence and steady window: {r['settle_seconds']} s, "
        f"{r['api_settle']['writes']} writes, {r['api_settle']['reads']} reads",
        f"  CPU until converged: {r['cpu_until_converged']}; operator "
        f"{r['operator_cpu_ms_per_neuron']} ms per Neuron",
        f"  RSS growth per Neuron (peak - at start): {r['rss_growth_kib_per_neuron']} KiB",
        f"  status lag after a chain change: {lag('status_lag')}",
        f"  staleness crossing to restart: {lag('staleness_restart')}",
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--neurons", type=int, default=1000)
    ap.add_argument("--subnets", type=int, default=10)
    ap.add_argument("--latency-ms", type=float, default=5.0, help="emulator latency per request")
    ap.add_argument("--poll-seconds", type=int, default=12, help="Subnet pollIntervalSeconds")
    ap.add_argument("--steady-seconds", type=float, default=120.0)
    ap.add_argument("--settle-seconds", type=float, default=10.0,
                    help="minimum pause between convergence and the steady window, which starts once "
                         "the operator has been quiet for 5 s (its requests are reported)")
    ap.add_argument("--baseline-steady-seconds", type=float, default=36.0,
                    help="steady window of the per-Neuron baseline (chain reads per poll)")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--converge-timeout", type=float, default=600.0)
    ap.add_argument("--apiserver", choices=("rust", "python"), default="rust",
                    help="API emulator: rust (tests/bench/apiserver, TF_BENCH_APISERVER_BIN) or python "
                         "(tests/e2e/emulator.py in this process)")
    ap.add_argument("--kubelet-delay-ms", type=float, default=0.0,
                    help="rust: how long its kubelet takes to create a Pod after the StatefulSet write "
                         "(0: within it; the Python harness's kubelet polls every 250 ms)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="cProfile the Python emulator's thread in the main run; print the top N functions")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON ('-' for stdout)")
    args = ap.parse_args(argv)

    fleet = make_fleet(args.neurons, args.subnets)
    server = start_chain(fleet, args.subnets)
    common = dict(fleet=fleet, chain=server.chain, subnets=args.subnets, poll_seconds=args.poll_seconds,
                  latency_ms=args.latency_ms, settle_seconds=args.settle_seconds,
                  converge_timeout=args.converge_timeout, apiserver=args.apiserver,
                  kubelet_delay_ms=args.kubelet_delay_ms)
    out = {}
    try:
        print("main run (per-Subnet poller cache)", flush=True)
        main_run = run_once(steady_seconds=args.steady_seconds, profile_top=args.profile, **common)
        profile = main_run.pop("emulator_profile", None)
        out["main"] = summarize(main_run)
        print(fmt(out["main"], "per-Subnet poller (shipped behaviour)"), flush=True)
        if profile:
            print(f"-- emulator thread profile (top {args.profile} by own time) --\n{profile}")
        if not args.skip_baseline:
            print("baseline run (TF_BENCH_CHAIN_READS=per-neuron)", flush=True)
            base = run_once(steady_seconds=args.baseline_steady_seconds,
                            baseline=True, **common)
            out["baseline"] = summarize(base)
            print(fmt(out["baseline"], "baseline: chain read per Neuron"), flush=True)
            m, b = out["main"], out["baseline"]
            out["ratios_baseline_over_main"] = {
                "chain_reads_per_poll": round(b["chain_reads_per_poll"] / max(m["chain_reads_per_poll"], 1e-9), 2),
                "chain_calls_until_converged": round(
                    sum(b["chain_calls_until_converged"].values())
                    / max(sum(m["chain_calls_until_converged"].values()), 1), 2),
                "converge_seconds": round(b["converge_seconds"] / m["converge_seconds"], 2),
            }
            print(f"== baseline / per-Subnet ratios: {out['ratios_baseline_over_main']}")
    finally:
        server.stop()
    if args.json:
        text = json.dumps(out, indent=2)
        if args.json == "-":
            print(text)
        else:
            pathlib.Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
