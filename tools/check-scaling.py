#!/usr/bin/env python3
"""Checks tools/scaling-model.py against `h5train bench` runs on the emulated cluster (tools/mpi-netns).

For each configuration (hosts, link rate) brings the namespaced hosts up and, per batch size,
calibrates the compute rate (just before: the machine's load drifts), runs
`mpirun -np R h5train bench … --workers 1` in them REPEATS times, and prints the median samples/s and rank 0's communication per step (bytes, ms) next to
what the model predicts for the same run. The hosts are taken down at the end, whatever happens.

Compute rate of a rank, two ways (the R ranks share this machine's cores):
  g_share: g (one plain process alone) * min(1, cores / R)       -- the doc's rule of thumb
  g_conc:  R plain single-process benches run at the same time, their mean rate  -- measured
Network: alpha per message step and the all-gather bandwidth from the fits in docs/scaling.md
(tools/mpi-allgather-bench), per configuration; see LINKS below.

Usage (root): tools/check-scaling.py [--binary h5train] [--data mnist.h5] [--batches 512,1536]
              [--configs 2:1gbit,3:1gbit,2:none,3:none] [--steps 30] [--warmup 5] [--repeats 3]
              [--mpirun-args "--mca btl_tcp_links 2"]
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


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/h5train"))
    p.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared/datasets/mnist.h5"))
    p.add_argument("--batches", default="512,1536")
    p.add_argument("--configs", default="2:1gbit,3:1gbit,2:none,3:none", help="hosts:rate, rate 'none' = unshaped")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cores", type=int, default=os.cpu_count())
    p.add_argument("--mpirun-args", default="", help='more mpirun arguments, e.g. "--mca btl_tcp_links 2"')
    args = p.parse_args()
    if "OPENBLAS_CORETYPE" not in os.environ:
        print("check-scaling: OPENBLAS_CORETYPE is not set; OpenBLAS picks its kernels itself", file=sys.stderr)
    sm = load_model()
    net = sm.Net("784-512-256-10")
    configs = [(int(h), r) for h, r in (c.split(":") for c in args.configs.split(","))]
    batches = [int(b) for b in args.batches.split(",")]
    rows = []
    try:
        for hosts, rate in configs:
            up = [NETNS, "up", "--hosts", str(hosts)] + (["--no-shape"] if rate == "none" else ["--rate", rate])
            print(run(up).strip().splitlines()[-1], flush=True)
            for batch in batches:
                calib = calibrate(args, batch, [hosts])   # just before, as the machine's load drifts
                measured, nbytes, ms, rates = measure(args, batch, hosts)
                rows.append((hosts, rate, batch, measured, nbytes, ms, rates, calib))
                print(f"  R={hosts} {rate} B={batch}: {', '.join(f'{r:,.0f}' for r in rates)} samples/s; "
                      f"{nbytes} bytes, {ms:.3f} ms per step", flush=True)
    finally:
        subprocess.run([NETNS, "down"], capture_output=True)
    print("\n| R | link | B | measured samples/s | predicted (g share / g conc) | measured comm ms | predicted comm ms "
          "| measured bytes | predicted bytes | T_c pred. ms (share / conc) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for hosts, rate, batch, measured, nbytes, ms, _, (alone, conc) in rows:
        alpha_us, gbits = LINKS[(hosts, rate)]
        model = sm.Model(argparse.Namespace(alpha_us=alpha_us, algorithm="ring", messages="packed", link_efficiency=1.0))
        g_share = alone * net.flop / 1e9 * min(1.0, args.cores / hosts)
        g_conc = conc[hosts] * net.flop / 1e9
        comm, _ = model.comm_parts(net, batch, hosts, gbits)
        t_share = model.compute(net, batch, hosts, 1, g_share)
        t_conc = model.compute(net, batch, hosts, 1, g_conc)
        predicted_bytes = (hosts - 1) / hosts * (batch * net.gathered_widths * 4 + net.params * 4)
        print(f"| {hosts} | {rate} | {batch} | {measured:,.0f} | {batch / (t_share + comm):,.0f} / {batch / (t_conc + comm):,.0f} "
              f"| {ms:.1f} | {comm * 1e3:.1f} | {nbytes:,} | {predicted_bytes:,.0f} | {t_share * 1e3:.1f} / {t_conc * 1e3:.1f} |")


if __name__ == "__main__":
    main()
