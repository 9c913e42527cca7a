#!/usr/bin/env python3
"""Checks tools/scaling-model.py against `h5train bench` runs on the emulated cluster (tools/mpi-netns).

For each configuration (hosts, link rate) brings the namespaced hosts up and, per batch size,
calibrates the compute rate (just before: the machine's load drifts), runs
`mpirun -np R h5train bench … --workers 1` in them REPEATS times, and prints the median samples/s and rank 0's communication per step (bytes, ms) next to
what the model predicts for the same run. The hosts are taken down at the end, whatever happens.

Compute rate of a rank, two ways (the R ranks share this machine's cores):
  g_share: g (one plain process alone) * min(1, cores / R)       -- the doc's rule of thumb
  g_conc:  R plain single-process benches run at the same time, their mean rate  -- measured
The predicted communication is what a rank waits for, the model's `waits` (h5train overlaps
the exchanges with computation; --no-overlap predicts the whole exchange time instead, g_conc's).
Network: alpha per message step and the all-gather bandwidth from the fits in docs/scaling.md
(tools/mpi-allgather-bench), per configuration; see LINKS below. A configuration may name a one-way
latency (hosts:rate:latency, e.g. 2:10gbit:50us); without one the links have none (--latency 0).
Where mpi-netns applies it with its user-space delay line (no netem), the fits are the line's (LINE
below), measured at that latency; for a latency not measured there, alpha is the line's own at
latency 0 plus the latency plus the line's mean timer lateness, at the latency-0 bandwidth.
A message above Open MPI's TCP eager limit (64 KiB) goes by rendezvous: one more round trip
(2 alpha) before its data, per message step; the prediction adds that (the model does not).

Usage (root): tools/check-scaling.py [--binary h5train] [--data mnist.h5] [--batches 512,1536]
              [--configs 2:1gbit,3:1gbit,2:none,3:none,2:10gbit:50us] [--steps 30] [--warmup 5] [--repeats 3]
              [--rounds 1] [--mpirun-args "--mca btl_tcp_links 2"]
Set OPENBLAS_CORETYPE in the environment; it is passed to the ranks (-x).
"""
import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NETNS = os.path.join(HERE, "mpi-netns")

# (ranks, rate) -> (alpha per message step in µs, all-gather bandwidth in Gbit/s): the fits of
# docs/scaling.md ("Communication: measured on one machine"); alpha per step = fitted alpha / (R-1).
LINKS = {
    (2, "1gbit"): (25.7, 0.46),   # one TCP connection carries both directions: half the rate each
    (3, "1gbit"): (70.1 / 2, 0.95),
    (2, "none"): (24.9, 5.20),
    (3, "none"): (49.9 / 2, 5.54),
}
# The same through mpi-netns's user-space delay line (kernels without netem) at latency 0: the
# line's own cost per message step (TUN, a timed wake-up, the TCP stacks) and the rate it sustains.
# With a latency, each message step also waits for the line's timer, which woke 26-29 us late on
# average (netns-link's own count, printed by `mpi-netns status`): LINE_WAKE_US is added then.
# Keyed (hosts, rate, latency in us). The bandwidth falls with the latency: both directions of a
# pair share one TCP connection (2.57 -> 4.32 Gbit/s at 10gbit, 200 us, with --mca btl_tcp_links 2).
LINE = {
    (2, "10gbit", 0): (29.2, 5.34),
    (2, "10gbit", 50): (98.2, 3.77),
    (2, "10gbit", 200): (258.0, 2.57),
    (3, "10gbit", 50): (269.2 / 2, 3.52),
    (2, "1gbit", 0): (61.8, 0.96),
    (2, "1gbit", 200): (261.6, 0.46),
}
LINE_WAKE_US = 29.0
EAGER_LIMIT = 65536   # btl_tcp_eager_limit, Open MPI's default


def link_fit(hosts, rate, latency, line):
    """(alpha per message step in us, per-link bandwidth in Gbit/s) for a configuration."""
    lat = latency_us(latency)
    if line and (hosts, rate, lat) in LINE:
        return LINE[(hosts, rate, lat)]
    if line and (hosts, rate, 0) in LINE:
        alpha, gbits = LINE[(hosts, rate, 0)]
        return alpha + lat + (LINE_WAKE_US if lat > 0 else 0), gbits
    if not line and (hosts, rate) in LINKS:
        alpha, gbits = LINKS[(hosts, rate)]
        return alpha + lat, gbits
    raise SystemExit(f"check-scaling: no link fit for {hosts} hosts at {rate}{' through the delay line' if line else ''}; "
                     "measure one with tools/mpi-allgather-bench and add it to LINKS or LINE")


def rendezvous_s(net, batch, hosts, alpha_us):
    """The round trips of the rendezvous protocol: 2 alpha per ring step of a call whose parts exceed
    the eager limit (the activations + deltas + loss sums; the parameters)."""
    parts = [(batch * net.gathered_widths + -(-batch // 64)) * 4 / hosts, net.params * 4 / hosts]
    return sum(2 * alpha_us * 1e-6 * (hosts - 1) for p in parts if p > EAGER_LIMIT)


def latency_us(text):
    """tc's spelling of a time (50us, 1ms, 0) in microseconds."""
    text = text.lower()
    if text == "0":
        return 0.0
    if text.endswith("us"):
        return float(text[:-2])
    if text.endswith("ms"):
        return float(text[:-2]) * 1000
    raise SystemExit(f"check-scaling: latency {text}: expected an integer followed by us or ms")


def load_model():
    spec = importlib.util.spec_from_file_location("scaling_model", os.path.join(HERE, "scaling-model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_args(args, batch):
    return [args.binary, "bench", "--data", args.data, "--hidden", "512,256", "--batch-size", str(batch),
            "--shard-size", "64", "--steps", str(args.steps), "--warmup", str(args.warmup), "--workers", "1"]


def rate_of(output):
    match = re.search(r"^ *1 +([0-9.]+) +([0-9.]+) ", output, re.M)
    if not match:
        raise SystemExit(f"check-scaling: no samples/s in the bench output:\n{output}")
    return float(match.group(1))


def communication_of(output):
    match = re.search(r"communication per step.*?: ([0-9]+) bytes received in ([0-9]+) collectives, ([0-9.]+) ms", output)
    if not match:
        raise SystemExit(f"check-scaling: no communication line in the bench output:\n{output}")
    return int(match.group(1)), float(match.group(3))


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"check-scaling: {' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def concurrent_rate(args, batch, copies):
    """Mean samples/s of `copies` plain single-process benches started together."""
    procs = [subprocess.Popen(bench_args(args, batch), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(copies)]
    rates = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"check-scaling: concurrent bench failed:\n{out}{err}")
        rates.append(rate_of(out))
    return statistics.mean(rates)


def calibrate(args, batch, ranks_needed):
    alone = statistics.median(rate_of(run(bench_args(args, batch))) for _ in range(args.repeats))
    conc = {r: statistics.median(concurrent_rate(args, batch, r) for _ in range(args.repeats)) for r in ranks_needed}
    print(f"calibration B={batch}: one process alone {alone:,.0f} samples/s; "
          + ", ".join(f"{r} at once {v:,.0f} each" for r, v in conc.items()), flush=True)
    return alone, conc


def measure(args, batch, ranks):
    rates, comms = [], []
    for _ in range(args.repeats):
        out = run([NETNS, "run", "--"] + (["-x", "OPENBLAS_CORETYPE"] if "OPENBLAS_CORETYPE" in os.environ else []) + args.mpirun_args.split() + ["-np", str(ranks)] + bench_args(args, batch))
        rates.append(rate_of(out))
        comms.append(communication_of(out))
    return statistics.median(rates), statistics.median(c[0] for c in comms), statistics.median(c[1] for c in comms), rates


def medians_over_rounds(rows):
    """One row per (hosts, rate, latency, batch): the median of each measurement over the rounds."""
    groups = {}
    for row in rows:
        groups.setdefault((row[0], row[1], row[2], row[4]), []).append(row)
    for group in groups.values():
        hosts = group[0][0]
        med = lambda i: statistics.median(r[i] for r in group)
        calib = (statistics.median(r[9][0] for r in group), {hosts: statistics.median(r[9][1][hosts] for r in group)})
        yield group[0][:5] + (med(5), med(6), med(7), [r[5] for r in group], calib)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/h5train"))
    p.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared/datasets/mnist.h5"))
    p.add_argument("--batches", default="512,1536")
    p.add_argument("--configs", default="2:1gbit,3:1gbit,2:none,3:none", help="hosts:rate, rate 'none' = unshaped")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rounds", type=int, default=1,
                   help="go through all configurations this many times (interleaved, so the machine's drifting load "
                        "falls on each alike) and report the medians over the rounds")
    p.add_argument("--cores", type=int, default=os.cpu_count())
    p.add_argument("--mpirun-args", default="", help='more mpirun arguments, e.g. "--mca btl_tcp_links 2"')
    p.add_argument("--no-overlap", action="store_true",
                   help="predict as if no exchange overlapped computation (binaries before the overlap)")
    args = p.parse_args()
    if "OPENBLAS_CORETYPE" not in os.environ:
        print("check-scaling: OPENBLAS_CORETYPE is not set; OpenBLAS picks its kernels itself", file=sys.stderr)
    sm = load_model()
    net = sm.Net("784-512-256-10")
    configs = [(int(c[0]), c[1], c[2] if len(c) > 2 else "0") for c in (c.split(":") for c in args.configs.split(","))]
    batches = [int(b) for b in args.batches.split(",")]
    rows = []
    try:
        for hosts, rate, latency in [c for _ in range(args.rounds) for c in configs]:
            up = [NETNS, "up", "--hosts", str(hosts)] + (["--no-shape"] if rate == "none" else ["--rate", rate, "--latency", latency])
            print(run(up).strip().splitlines()[-1], flush=True)
            with open("/run/h5mpi/config") as config:
                line = "line=yes" in config.read().split()
            for batch in batches:
                calib = calibrate(args, batch, [hosts])   # just before, as the machine's load drifts
                measured, nbytes, ms, rates = measure(args, batch, hosts)
                rows.append((hosts, rate, latency, line, batch, measured, nbytes, ms, rates, calib))
                print(f"  R={hosts} {rate} {latency} B={batch}: {', '.join(f'{r:,.0f}' for r in rates)} samples/s; "
                      f"{nbytes} bytes, {ms:.3f} ms per step", flush=True)
    finally:
        subprocess.run([NETNS, "down"], capture_output=True)
    print("\n| R | link | latency | B | measured samples/s | predicted (g share / g conc) | measured comm ms | predicted comm ms "
          "| measured bytes | predicted bytes | T_c pred. ms (share / conc) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for hosts, rate, latency, line, batch, measured, nbytes, ms, _, (alone, conc) in medians_over_rounds(rows):
        alpha_us, gbits = link_fit(hosts, rate, latency, line)
        model = sm.Model(argparse.Namespace(alpha_us=alpha_us, algorithm="ring", messages="packed", link_efficiency=1.0))
        g_share = alone * net.flop / 1e9 * min(1.0, args.cores / hosts)
        g_conc = conc[hosts] * net.flop / 1e9
        if args.no_overlap:
            comm_share = comm = model.comm_parts(net, batch, hosts, gbits)[0] + rendezvous_s(net, batch, hosts, alpha_us)
        else:   # what a rank waits for, as h5train overlaps the exchanges with its computation
            comm_share = sum(model.waits(net, batch, hosts, 1, g_share, gbits)) + rendezvous_s(net, batch, hosts, alpha_us)
            comm = sum(model.waits(net, batch, hosts, 1, g_conc, gbits)) + rendezvous_s(net, batch, hosts, alpha_us)
        t_share = model.compute(net, batch, hosts, 1, g_share)
        t_conc = model.compute(net, batch, hosts, 1, g_conc)
        predicted_bytes = (hosts - 1) / hosts * (batch * net.gathered_widths * 4 + net.params * 4)
        print(f"| {hosts} | {rate}{' (line)' if line else ''} | {latency} | {batch} | {measured:,.0f} | {batch / (t_share + comm_share):,.0f} / {batch / (t_conc + comm):,.0f} "
              f"| {ms:.1f} | {comm * 1e3:.1f} | {nbytes:,} | {predicted_bytes:,.0f} | {t_share * 1e3:.1f} / {t_conc * 1e3:.1f} |")


if __name__ == "__main__":
    main()
