#!/usr/bin/env python3
"""Reads the event files of `h5train train --tensorboard DIR` back with TensorBoard's own reader
(tensorboard.backend.event_processing.event_accumulator.EventAccumulator) and checks them against
the run's `--metrics` CSV: every epoch's train_loss, val_loss, val_accuracy or val_mae and
samples_per_s must equal the CSV's value rounded to float32 (TensorBoard stores scalars as
float32), at the epoch's global step. Also checks the per-step tags have one value per step, and
lists the histograms and the text.

Needs `pip install tensorboard`; never needed by the build, the tests or CI.

    python3 tools/check-tensorboard.py DIR METRICS.csv
"""
import csv
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator


def f32(x):
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 64
    folder, metrics_path = sys.argv[1], sys.argv[2]
    accumulator = event_accumulator.EventAccumulator(folder, size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0, event_accumulator.TENSORS: 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    with open(metrics_path) as f:
        rows = list(csv.DictReader(f))
    failures = 0
    columns = [("train_loss", "epoch/train_loss"), ("val_loss", "epoch/val_loss"),
               ("val_accuracy", "epoch/val_accuracy"), ("val_mae", "epoch/val_mae"),
               ("samples_per_s", "epoch/samples_per_s")]
    print("scalar tags: %s" % ", ".join(sorted(tags["scalars"])))
    for column, tag in columns:
        expected = [(int(row["step"]), f32(row[column])) for row in rows if row.get(column)]
        if not expected:
            continue
        found = [(event.step, event.value) for event in accumulator.Scalars(tag)] if tag in tags["scalars"] else []
        # samples_per_s is rounded to 0.1 in the CSV; the others are printed in full.
        tolerance = 0.051 if column == "samples_per_s" else 0.0
        ok = len(found) == len(expected) and all(
            s == es and abs(v - ev) <= tolerance for (s, v), (es, ev) in zip(found, expected))
        failures += not ok
        print("%-22s %s  %d epochs  %s" % (tag, "OK  " if ok else "FAIL", len(expected),
                                          "  ".join("step %d: %.9g" % (s, v) for s, v in found)))
        if not ok:
            print("    expected from the CSV: %s" % expected)
    last_step = int(rows[-1]["step"]) if rows else 0
    for tag in ("step/loss", "step/lr", "step/grad_norm", "step/momentum"):
        if tag not in tags["scalars"]:
            continue
        steps = [event.step for event in accumulator.Scalars(tag)]
        ok = steps == list(range(1, last_step + 1))
        failures += not ok
        values = [event.value for event in accumulator.Scalars(tag)]
        print("%-22s %s  %d steps 1…%d, first %.6g, last %.6g" % (tag, "OK  " if ok else "FAIL", len(steps),
                                                               steps[-1] if steps else 0, values[0], values[-1]))
    print("histograms (%d tags):" % len(tags["histograms"]))
    for tag in sorted(tags["histograms"]):
        events = accumulator.Histograms(tag)
        last = events[-1].histogram_value
        print("  %-26s %d epochs (steps %s)  last: n=%d min=%.4g max=%.4g mean=%.4g, %d buckets" % (
            tag, len(events), ",".join(str(e.step) for e in events), last.num, last.min, last.max,
            last.sum / max(last.num, 1), len(last.bucket)))
    for tag in sorted(tags["tensors"]):
        text = accumulator.Tensors(tag)[0].tensor_proto.string_val[0].decode()
        print("text %s: %d lines, first: %s" % (tag, text.count("\n") + 1, text.splitlines()[0].strip()))
    print("FAILED: %d checks" % failures if failures else "all per-epoch values equal the metrics CSV")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
