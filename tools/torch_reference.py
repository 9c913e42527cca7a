#!/usr/bin/env python3
"""PyTorch reference trainer: the same MLP and settings as `h5train train`,
for side-by-side throughput and accuracy comparison on the CPU.

Requires:  pip install torch h5py numpy        (run by hand only; no test uses it)

What it does (mirrors h5train's defaults):
  data    X and Y read fully into memory from one HDF5 file; X flattened to
          (N, features); integer X divided by its type's maximum (uint8: /255),
          float X used as is; Y = integer class ids, shape (N,) or (N,1).
  model   Dense layers of --hidden sizes with ReLU, then a Linear layer to the
          number of classes; He-normal weights (kaiming_normal_, fan_in, ReLU
          gain), zero biases.
  loss    softmax cross-entropy, mean over the batch.
  optim   SGD with momentum (--momentum) and --weight-decay; constant --lr, or
          --schedule onecycle: OneCycleLR with max_lr = --lr over all steps,
          --pct-start, cosine annealing, momentum fixed unless --cycle-momentum
          (0.85-0.95), as `h5train train --schedule onecycle --no-cycle-momentum`
          (or, with --cycle-momentum, h5train's default).
  batches one torch.randperm per epoch, each batch gathered by index; the last
          partial batch is kept. No DataLoader, no worker processes.
  timing  seconds = wall time of the epoch's training loop only (evaluation
          excluded); samples/s = training rows / seconds.

Output: one line per epoch (epoch, train loss, val loss, val accuracy,
samples/s, seconds), then one JSON line with the medians and final accuracy.

Example:
  python3 tools/torch_reference.py --data mnist.h5 --epochs 1 --threads 2
  python3 tools/torch_reference.py --data mnist.h5 --epochs 3 --schedule onecycle --lr 0.1
"""
import argparse
import csv
import json
import math
import platform
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_x(f, name):
    x = f[name][...]
    x = x.reshape(x.shape[0], -1)
    if x.dtype.kind in "iu":
        scale = np.float32(np.iinfo(x.dtype).max)
        x = x.astype(np.float32) / scale
    elif x.dtype.kind == "b":
        x = x.astype(np.float32)
    else:
        x = x.astype(np.float32, copy=False)
    return torch.from_numpy(np.ascontiguousarray(x))


def load_y(f, name):
    y = f[name][...]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.dtype.kind not in "iu":
        sys.exit(f"torch_reference: {name} must hold integer class ids, shape (N,) or "
                 f"(N,1); got {y.dtype} {y.shape}")
    return torch.from_numpy(y.astype(np.int64))


def load(args):
    with h5py.File(args.data, "r") as f:
        for name in filter(None, (args.x, args.y, args.val_x, args.val_y)):
            if name not in f:
                sys.exit(f"torch_reference: {args.data} has no dataset '{name}' "
                         f"(has: {', '.join(f.keys())})")
        xtr, ytr = load_x(f, args.x), load_y(f, args.y)
        xva = yva = None
        if args.val_x and args.val_y:
            xva, yva = load_x(f, args.val_x), load_y(f, args.val_y)
        n_classes = int(f.attrs.get("classes", 0))
    if xtr.shape[0] != ytr.shape[0]:
        sys.exit(f"torch_reference: {args.x} has {xtr.shape[0]} rows, {args.y} {ytr.shape[0]}")
    n_classes = max(n_classes, int(ytr.max()) + 1, int(yva.max()) + 1 if yva is not None else 0)
    return xtr, ytr, xva, yva, n_classes


def build_model(n_in, hidden, n_out):
    sizes = [n_in] + hidden + [n_out]
    layers = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        nn.init.kaiming_normal_(lin.weight, mode="fan_in", nonlinearity="relu")
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@torch.no_grad()
def evaluate(model, x, y, chunk=10000):
    """Mean cross-entropy and accuracy over (x, y)."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, x.shape[0], chunk):
        logits = model(x[i:i + chunk])
        yb = y[i:i + chunk]
        loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(dim=1) == yb).sum().item()
    model.train()
    return loss_sum / x.shape[0], correct / x.shape[0]


def parse_hidden(s):
    try:
        sizes = [int(v) for v in s.split(",") if v.strip()] if s.strip() else []
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 512,256; got {s!r}")
    if any(v <= 0 for v in sizes):
        raise argparse.ArgumentTypeError("layer sizes must be positive")
    return sizes


def positive_int(s):
    v = int(s)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {v}")
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="HDF5 file")
    ap.add_argument("--x", default="x_train", help="training inputs (default x_train)")
    ap.add_argument("--y", default="y_train", help="training class ids (default y_train)")
    ap.add_argument("--val-x", default="x_test",
                    help="validation inputs (default x_test; '' = no validation)")
    ap.add_argument("--val-y", default="y_test", help="validation class ids (default y_test)")
    ap.add_argument("--hidden", type=parse_hidden, default=[512, 256],
                    help="hidden layer sizes, comma-separated (default 512,256)")
    ap.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    ap.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    ap.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay (default 0)")
    ap.add_argument("--batch-size", type=positive_int, default=128, help="default 128")
    ap.add_argument("--epochs", type=positive_int, default=1, help="default 1")
    ap.add_argument("--threads", type=positive_int, default=2,
                    help="torch intra-op threads (default 2); inter-op threads are 1")
    ap.add_argument("--seed", type=int, default=0, help="init and shuffle seed (default 0)")
    ap.add_argument("--schedule", choices=["constant", "onecycle"], default="constant",
                    help="learning-rate schedule (default constant)")
    ap.add_argument("--pct-start", type=float, default=0.3,
                    help="onecycle: fraction of the steps spent warming up (default 0.3)")
    ap.add_argument("--cycle-momentum", action="store_true",
                    help="onecycle: cycle momentum 0.95 -> 0.85 -> 0.95 (default: fixed --momentum)")
    ap.add_argument("--metrics", metavar="CSV",
                    help="also write per-epoch metrics in h5train's --metrics CSV layout")
    ap.add_argument("--quiet", action="store_true", help="print only the final JSON line")
    args = ap.parse_args()
    if not args.val_x or not args.val_y:
        args.val_x = args.val_y = ""

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work already started
        pass
    torch.manual_seed(args.seed)

    t0 = time.perf_counter()
    xtr, ytr, xva, yva, n_classes = load(args)
    load_s = time.perf_counter() - t0
    n, n_in = xtr.shape
    bs = args.batch_size
    steps = (n + bs - 1) // bs

    model = build_model(n_in, args.hidden, n_classes)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                          weight_decay=args.weight_decay)
    sched = None
    if args.schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=args.lr, total_steps=args.epochs * steps, pct_start=args.pct_start,
            cycle_momentum=args.cycle_momentum, base_momentum=0.85, max_momentum=0.95)
    gen = torch.Generator().manual_seed(args.seed)

    say = (lambda *a, **k: None) if args.quiet else (lambda *a, **k: print(*a, **k, flush=True))
    arch = "-".join(str(v) for v in [n_in] + args.hidden + [n_classes])
    say(f"torch {torch.__version__}  threads {torch.get_num_threads()}  mlp {arch}  "
        f"batch {bs}  lr {args.lr}  momentum {args.momentum}  wd {args.weight_decay}  "
        f"seed {args.seed}  train {tuple(xtr.shape)}  "
        f"val {tuple(xva.shape) if xva is not None else None}  load {load_s:.2f}s")

    rows = []
    for ep in range(1, args.epochs + 1):
        loss_sum = torch.zeros((), dtype=torch.float64)
        t_start = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        for s in range(steps):
            idx = perm[s * bs:(s + 1) * bs]
            xb, yb = xtr[idx], ytr[idx]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            loss_sum += loss.detach() * yb.shape[0]
        dt = time.perf_counter() - t_start
        train_loss = loss_sum.item() / n
        val_loss, val_acc = evaluate(model, xva, yva) if xva is not None else (float("nan"),) * 2
        rows.append({"epoch": ep, "train_loss": train_loss, "val_loss": val_loss,
                     "val_accuracy": val_acc, "lr": opt.param_groups[0]["lr"], "samples_per_s": n / dt,
                     "seconds": dt})
        say(f"epoch {ep}/{args.epochs}  train_loss {train_loss:.4f}  val_loss {val_loss:.4f}  "
            f"val_acc {val_acc * 100:.2f}%  samples/s {n / dt:.0f}  seconds {dt:.3f}")

    if args.metrics:
        with open(args.metrics, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)

    def r5(v):  # JSON has no NaN: no validation set -> null
        return None if math.isnan(v) else round(v, 5)

    sps = [r["samples_per_s"] for r in rows]
    secs = [r["seconds"] for r in rows]
    print(json.dumps({
        "tool": "torch_reference",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "mlp": arch,
        "batch_size": bs,
        "epochs": args.epochs,
        "lr": args.lr,
        "schedule": args.schedule,
        "momentum": args.momentum,
        "weight_decay": args.weight_decay,
        "seed": args.seed,
        "samples_per_s": [round(v, 1) for v in sps],
        "epoch_seconds": [round(v, 4) for v in secs],
        "median_samples_per_s": round(float(np.median(sps)), 1),
        "median_epoch_seconds": round(float(np.median(secs)), 4),
        "final_train_loss": r5(rows[-1]["train_loss"]),
        "final_val_loss": r5(rows[-1]["val_loss"]),
        "final_val_accuracy": r5(rows[-1]["val_accuracy"]),
    }), flush=True)


if __name__ == "__main__":
    main()
