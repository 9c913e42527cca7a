#!/usr/bin/env python3
"""Scaling model of h5train's MPI data-parallel step (docs/scaling.md); plain Python, no numpy.

The step on R ranks of W workers each, batch B cut into 64-row micro-shards:
  1. each rank runs forward and backward (deltas) on its contiguous range of the shards;
  2. all-gather, in place, every hidden layer's activations and every layer's deltas for the
     whole batch (float32), plus the per-shard loss sums;
  3. each rank computes the gradient blocks it owns over the whole batch (1/R of the parameters)
     and updates them (optimizer state sharded);
  4. every rank sends each of its updated blocks' weights (float32) straight to every other rank;
     the biases and the blocks' squared norms follow in one small all-gather (not modelled).
Each rank reads the batch's input rows from its own copy of the data, so inputs are not sent
(--gather-input sends them too).

Compute: T_c = ceil(ceil(S/R)/W) * 64 * (f_fwd + f_delta) / g_W  +  B * f_grad / (R * W * g_W),
  S = B/64 shards, f_* FLOP per sample, g_W = FLOP/s of one worker when W run (measured).
All-gather of n bytes in k separate calls: k * a(R) * alpha + (R-1)/R * n / bandwidth,
  a(R) = R-1 (ring) or ceil(log2 R) (recursive doubling / Bruck).
Step time, three ways (--overlap picks the rows the table shows):
  none:    T = T_c + T_comm.
  h5train: what h5train does. The all-gathers of every hidden layer's input and the output
           layer's delta start after the forward passes and travel during the hidden deltas; the
           hidden deltas' follow; each gradient block's weights are sent as soon as the block is
           updated, so all but each rank's last block travel during phase 2:
           T = T_fwd + T_delta + T_grad + max(A_fwd + A_hid - T_delta, A_hid)
                                        + max(A_par - T_grad (1 - 1/K_r), A_par / K_r),
           A_* the all-gather times of those bytes, K_r = gradient blocks per rank (at least 1).
  ideal:   T = max(T_c, T_hideable) + T_exposed, an upper bound: the exposed chain is delta_1's
           all-gather -> layer 1's gradient -> layer 1's parameter all-gather, which the next
           step's first product waits for; everything else is assumed hidden behind computation.
Efficiency E(R) = T(1 rank) / (R * T(R)), the same W per rank.

Usage: tools/scaling-model.py [--alpha-us 50] [--algorithm ring|rd] [--messages per-layer|packed]
                              [--link-efficiency 0.95] [--gather-input] [--target 0.8]
"""
import argparse
import math

SHARD = 64          # rows per micro-shard, fixed by the design
FLOAT = 4           # bytes per float32
DATASET_ROWS = 60000   # MNIST's training set: a batch needed beyond it is marked *

# FLOP/s of one worker, from `h5train bench --shard-size 64 --batch-size 512 --workers 1,2` (median
# of five runs; docs/scaling.md, "Compute"). The 2-worker figure is the 1-worker one: on the
# machine measured, the second worker had no free core (two cores, other jobs running), so its
# measured rate says nothing about a dedicated node; pass --gflops to use another figure.
MEASURED_GFLOPS_PER_WORKER = {
    "784-512-256-10": {1: 65.4, 2: 65.4},
    "784-2048-2048-10": {1: 53.4, 2: 53.4},
}


def widths_of(name):
    return [int(w) for w in name.split("-")]


class Net:
    """FLOP per sample and bytes the design moves, for dense layers n0-n1-...-nL."""

    def __init__(self, name, gather_input=False):
        self.name, n = name, widths_of(name)
        self.n = n
        pairs = list(zip(n[:-1], n[1:]))
        self.params = sum(i * o + o for i, o in pairs)
        self.f_fwd = sum(2 * i * o for i, o in pairs)
        self.f_delta = self.f_fwd - 2 * n[0] * n[1]       # no delta for the input
        self.f_grad = self.f_fwd
        self.flop = self.f_fwd + self.f_delta + self.f_grad   # = Architecture.trainingFLOPPerSample
        hidden = n[1:-1]
        self.gathered_widths = sum(hidden) + sum(n[1:]) + (n[0] if gather_input else 0)
        self.buffers = len(hidden) + (len(n) - 1) + (1 if gather_input else 0)
        self.layer1_params = n[0] * n[1] + n[1]
        # complete after the forward passes: every hidden layer's output (the next layer's input),
        # the output layer's delta (and the input rows when gathered); the hidden deltas after
        self.forward_widths = sum(hidden) + n[-1] + (n[0] if gather_input else 0)
        self.forward_buffers = len(hidden) + 1 + (1 if gather_input else 0)
        self.blocks = sum(self.layer_blocks(i, o) for i, o in pairs)

    @staticmethod
    def layer_blocks(inputs, outputs, target_weights=131072):
        """Gradient blocks of one layer, as NetworkArchitecture.gradientBlocks cuts them."""
        rows = max(16, (target_weights // max(outputs, 1)) // 16 * 16)
        return max(1, (inputs + rows // 2) // rows)


class Model:
    def __init__(self, args):
        self.alpha = args.alpha_us * 1e-6
        self.algorithm = args.algorithm
        self.messages = args.messages
        self.link_efficiency = args.link_efficiency

    def latency_steps(self, ranks):
        if ranks == 1:
            return 0
        return ranks - 1 if self.algorithm == "ring" else math.ceil(math.log2(ranks))

    def allgather(self, nbytes, calls, ranks, gbits):
        """Seconds for `calls` all-gathers moving `nbytes` in all, on `gbits` Gbit/s links."""
        if ranks == 1:
            return 0.0
        bandwidth = gbits * 1e9 / 8 * self.link_efficiency
        return calls * self.latency_steps(ranks) * self.alpha + (ranks - 1) / ranks * nbytes / bandwidth

    def direct(self, nbytes, ranks, gbits):
        """Seconds for every rank to send its 1/R of `nbytes` straight to every other rank, all at once."""
        if ranks == 1:
            return 0.0
        return self.alpha + (ranks - 1) / ranks * nbytes / (gbits * 1e9 / 8 * self.link_efficiency)

    @staticmethod
    def compute(net, batch, ranks, workers, gflops):
        g = gflops * 1e9
        shards = math.ceil(batch / SHARD)
        per_worker = math.ceil(math.ceil(shards / ranks) / workers)
        return per_worker * SHARD * (net.f_fwd + net.f_delta) / g + batch * net.f_grad / (ranks * workers * g)

    def comm_parts(self, net, batch, ranks, gbits):
        """(total, exposed) communication seconds of one step."""
        act = batch * net.gathered_widths * FLOAT + math.ceil(batch / SHARD) * FLOAT   # + loss sums
        act_calls = net.buffers + 1 if self.messages == "per-layer" else 1
        total = self.allgather(act, act_calls, ranks, gbits) + self.direct(net.params * FLOAT, ranks, gbits)
        exposed = (self.allgather(batch * net.n[1] * FLOAT, 1, ranks, gbits)
                   + self.direct(net.layer1_params * FLOAT, ranks, gbits))
        return total, min(exposed, total)

    @staticmethod
    def compute_parts(net, batch, ranks, workers, gflops):
        """(T_fwd, T_delta, T_grad): the forward passes, hidden deltas and gradient blocks of a rank."""
        g = gflops * 1e9
        per_worker = math.ceil(math.ceil(math.ceil(batch / SHARD) / ranks) / workers)
        return (per_worker * SHARD * net.f_fwd / g, per_worker * SHARD * net.f_delta / g,
                batch * net.f_grad / (ranks * workers * g))

    def waits(self, net, batch, ranks, workers, gflops, gbits):
        """(after phase 1, after phase 2): the seconds a rank waits for the exchanges, as h5train overlaps them."""
        _, t_delta, t_grad = self.compute_parts(net, batch, ranks, workers, gflops)
        per_layer = self.messages == "per-layer"
        forward = self.allgather(batch * net.forward_widths * FLOAT, net.forward_buffers if per_layer else 1, ranks, gbits)
        hidden_widths = net.gathered_widths - net.forward_widths
        hidden = self.allgather(batch * hidden_widths * FLOAT + math.ceil(batch / SHARD) * FLOAT,
                                (net.buffers - net.forward_buffers + 1) if per_layer else 1, ranks, gbits)
        rows = max(forward + hidden - t_delta, hidden)
        parameters = self.direct(net.params * FLOAT, ranks, gbits)
        per_rank = max(1.0, net.blocks / ranks)
        return rows, max(parameters - t_grad * (1 - 1 / per_rank), parameters / per_rank)

    def step(self, net, batch, ranks, workers, gflops, gbits, overlap):
        t_c = self.compute(net, batch, ranks, workers, gflops)
        if overlap == "h5train":
            return t_c + sum(self.waits(net, batch, ranks, workers, gflops, gbits))
        total, exposed = self.comm_parts(net, batch, ranks, gbits)
        if overlap == "none":
            return t_c + total
        return max(t_c, total - exposed) + exposed

    def efficiency(self, net, batch, ranks, workers, gflops, gbits, overlap):
        one = self.compute(net, batch, 1, workers, gflops)
        return one / (ranks * self.step(net, batch, ranks, workers, gflops, gbits, overlap))

    def batch_for(self, target, net, ranks, workers, gflops, gbits, overlap, limit=1 << 22):
        """Smallest batch with E >= target among multiples of 64*R*W (every worker of every rank a
        whole number of shards); E grows with B along them, so a bisection finds it. None if even
        `limit` (4 Mi) rows fall short."""
        unit = SHARD * ranks * workers
        def good(m):
            return self.efficiency(net, m * unit, ranks, workers, gflops, gbits, overlap) >= target
        lo, hi = 1, limit // unit
        if not good(hi):
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if good(mid) else (mid + 1, hi)
        return lo * unit

    def limit_efficiency(self, net, ranks, workers, gflops, gbits, overlap):
        """E as B -> infinity: per-sample compute against per-sample communication."""
        big = SHARD * ranks * (1 << 20)
        return self.efficiency(net, big, ranks, workers, gflops, gbits, overlap)


def table(model, nets, gflops, ranks_list, rates, target, workers_list, batches, overlaps):
    lines = []
    for net in nets:
        lines.append(f"\n{net.name}: {net.params:,} parameters, {net.flop / 1e6:.2f} MFLOP per sample, "
                     f"{net.gathered_widths} floats gathered per sample ({net.gathered_widths * FLOAT} B), "
                     f"parameters {net.params * FLOAT / 2**20:.2f} MiB")
        for workers in workers_list:
            g = gflops[net.name][workers]
            one = batches[-1] / model.compute(net, batches[-1], 1, workers, g)
            lines.append(f"  W={workers} per rank, {g:.1f} GFLOP/s per worker; one rank alone: {one:,.0f} samples/s")
            head = "  {:>3} {:>5} {:>8}".format("R", "Gb/s", "overlap")
            head += "".join(f" {'B=' + str(b):>20}" for b in batches)
            head += f" {'E(B->inf)':>9} {'B for ' + str(round(100 * target)) + '%':>11}"
            lines.append(head)
            for ranks in ranks_list:
                for gbits in rates:
                    for overlap in overlaps:
                        row = "  {:>3} {:>5} {:>8}".format(ranks, gbits, overlap)
                        for b in batches:
                            t = model.step(net, b, ranks, workers, g, gbits, overlap)
                            e = model.efficiency(net, b, ranks, workers, g, gbits, overlap)
                            row += f" {b / t:>12,.0f} ({100 * e:3.0f}%)"
                        lim = model.limit_efficiency(net, ranks, workers, g, gbits, overlap)
                        need = model.batch_for(target, net, ranks, workers, g, gbits, overlap)
                        mark = "" if need is None or need <= DATASET_ROWS else "*"
                        row += f" {100 * lim:>8.0f}% {(str(need) + mark) if need else 'none':>11}"
                        lines.append(row)
    return "\n".join(lines)


def breakdown(model, net, batch, ranks, workers, g, gbits):
    t_c = model.compute(net, batch, ranks, workers, g)
    total, exposed = model.comm_parts(net, batch, ranks, gbits)
    waits = sum(model.waits(net, batch, ranks, workers, g, gbits))
    act = batch * net.gathered_widths * FLOAT
    return (f"{net.name} B={batch} R={ranks} W={workers} {gbits} Gbit/s: T_c {t_c * 1e3:.3f} ms, "
            f"all-gathered {act / 2**20:.2f} MiB activations+deltas + {net.params * FLOAT / 2**20:.2f} MiB parameters, "
            f"T_comm {total * 1e3:.3f} ms (waited with h5train's overlap {waits * 1e3:.3f} ms, exposed with ideal overlap {exposed * 1e3:.3f} ms)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--alpha-us", type=float, default=50.0, help="latency per message step (µs)")
    p.add_argument("--algorithm", choices=["ring", "rd"], default="ring")
    p.add_argument("--messages", choices=["per-layer", "packed"], default="per-layer",
                   help="activations+deltas as one all-gather per layer buffer, or packed in one")
    p.add_argument("--link-efficiency", type=float, default=0.95,
                   help="share of the line rate an all-gather achieves (0.95 measured on emulated 1 Gbit/s links)")
    p.add_argument("--gather-input", action="store_true", help="all-gather the input rows too")
    p.add_argument("--target", type=float, default=0.8)
    p.add_argument("--ranks", default="8,64")
    p.add_argument("--rates", default="10,100", help="link rates, Gbit/s")
    p.add_argument("--batches", default="512,4096,32768")
    p.add_argument("--workers", default="1,2")
    p.add_argument("--breakdown-batch", type=int, default=4096, help="batch of the per-step time breakdown")
    p.add_argument("--nets", default="784-512-256-10,784-2048-2048-10")
    p.add_argument("--gflops", default="", help="override: net=g1/g2,… GFLOP/s per worker at W=1/W=2")
    p.add_argument("--overlap", default="none,h5train,ideal",
                   help="step-time variants to show: none, h5train (what it overlaps), ideal (the upper bound)")
    args = p.parse_args()
    gflops = {k: dict(v) for k, v in MEASURED_GFLOPS_PER_WORKER.items()}
    for item in filter(None, args.gflops.split(",")):
        name, values = item.split("=")
        gflops[name] = {i + 1: float(v) for i, v in enumerate(values.split("/"))}
    model = Model(args)
    nets = [Net(n, args.gather_input) for n in args.nets.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    for net in nets:
        missing = [w for w in workers if gflops.get(net.name, {}).get(w) is None]
        if missing:
            raise SystemExit(f"scaling-model: no measured GFLOP/s per worker for {net.name} at W={missing}; pass --gflops")
    print(f"alpha {args.alpha_us:g} us per message step, {args.algorithm} all-gather, "
          f"activations+deltas {args.messages}, link efficiency {args.link_efficiency:g}, target {args.target:g}")
    print(table(model, nets, gflops, [int(r) for r in args.ranks.split(",")], [float(r) for r in args.rates.split(",")],
                args.target, workers, [int(b) for b in args.batches.split(",")], args.overlap.split(",")))
    print(f"\nbreakdown at B={args.breakdown_batch}, W=1:")
    for net in nets:
        for ranks in [int(r) for r in args.ranks.split(",")]:
            for gbits in [float(r) for r in args.rates.split(",")]:
                print("  " + breakdown(model, net, args.breakdown_batch, ranks, 1, gflops[net.name][1], gbits))


if __name__ == "__main__":
    main()
