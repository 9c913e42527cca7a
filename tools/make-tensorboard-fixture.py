#!/usr/bin/env python3
"""Writes Tests/RunLogsTests/Fixtures/golden.tfevents with TensorBoard's own Python event writer
(tensorboard.summary.writer.event_file_writer.EventFileWriter), with fixed wall times, for the
byte-for-byte test of H5Train's writer (Tests/RunLogsTests/EventFileGoldenTests.swift writes the
same events with the same wall times).

Scalars and histograms are legacy `Summary.Value`s (simple_value, histo) as tf.compat.v1 writes
them; the histogram's buckets are computed here, independently of the Swift code, by TensorFlow's
algorithm (core/lib/histogram/histogram.cc): default bucket limits, std::upper_bound, and runs of
empty buckets merged as EncodeToProto(preserve_zero_buckets=false) does. Text goes through the
text plugin's own text_pb. Also writes golden-histograms.txt: for each histogram event, its
min, max, num, sum, sum_squares and every (limit, count) pair, as exact hex floats.

Needs `pip install tensorboard numpy`; never needed by the build or the tests.

    python3 tools/make-tensorboard-fixture.py
"""
import bisect
import os
import sys
import tempfile
import time
from unittest import mock

import numpy as np
from tensorboard.compat.proto import summary_pb2, event_pb2
from tensorboard.plugins.text import summary_v2 as text_summary
from tensorboard.summary.writer import event_file_writer

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "RunLogsTests", "Fixtures")
DBL_MAX = sys.float_info.max
FILE_WALL_TIME = 1700000000.25


def default_bucket_limits():
    positive = []
    v = 1.0e-12
    while v < 1.0e20:
        positive.append(v)
        v *= 1.1
    positive.append(DBL_MAX)
    return [-x for x in reversed(positive)] + [0.0] + positive


def histogram(values):
    """HistogramProto of the finite float32 `values`, as TensorFlow's Histogram builds it."""
    limits = default_bucket_limits()
    counts = [0.0] * len(limits)
    lo, hi, num, total, squares = limits[-1], -limits[-1], 0.0, 0.0, 0.0
    for value in values:
        v = float(value)
        if not np.isfinite(v):
            continue
        counts[min(bisect.bisect_right(limits, v), len(limits) - 1)] += 1
        lo, hi = min(lo, v), max(hi, v)
        num += 1
        total += v
        squares += v * v
    proto = summary_pb2.HistogramProto(min=lo, max=hi, num=num, sum=total, sum_squares=squares)
    i = 0
    while i < len(counts):
        end, count = limits[i], counts[i]
        j = i + 1
        while count <= 0 and j < len(counts) and counts[j] <= 0:
            end, count = limits[j], counts[j]
            j += 1
        proto.bucket_limit.append(end)
        proto.bucket.append(count)
        i = j
    return proto


def golden_values():
    """200 float32 values over seven decades, both signs, and a few extremes (the Swift test
    computes the same list)."""
    scales = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    values = [np.float32(((i * 37) % 101 - 50) / 8.0 * scales[i % 7]) for i in range(200)]
    return values + [np.float32(0.0), np.float32(1e-13), np.float32(-1e-13), np.float32(3e25), np.float32("nan")]


def events():
    """(step, wall_time, Summary.Value) in file order."""
    def scalar(tag, value):
        return summary_pb2.Summary.Value(tag=tag, simple_value=value)

    def histo(tag, values):
        return summary_pb2.Summary.Value(tag=tag, histo=histogram(values))

    text = text_summary.text_pb("run/config", "h5train train --hidden 512,256\n\n**β₁** cycles").value[0]
    return [
        (0, 1700000000.5, text),
        (1, 1700000001.0, scalar("train/loss", 2.302585)),
        (1, 1700000001.0, scalar("train/lr", 0.05)),
        (2, 1700000002.75, scalar("train/loss", 1.25)),
        (469, 1700000010.125, histo("layer1/weight", golden_values())),
        (469, 1700000010.125, histo("layer1/empty", [])),
        (469, 1700000010.125, histo("layer2/bias", [np.float32(0.5)] * 3 + [np.float32(-2.0)])),
    ]


def hex_lines(step_events):
    lines = []
    for step, _, value in step_events:
        if not value.HasField("histo"):
            continue
        h = value.histo
        lines.append("%s %d %s %s %s %s %s %d" % (value.tag, step, h.min.hex(), h.max.hex(), h.num.hex(),
                                                  h.sum.hex(), h.sum_squares.hex(), len(h.bucket)))
        lines += ["%s %s" % (limit.hex(), count.hex()) for limit, count in zip(h.bucket_limit, h.bucket)]
    return "\n".join(lines) + "\n"


def main():
    step_events = events()
    with tempfile.TemporaryDirectory() as folder:
        with mock.patch.object(time, "time", return_value=FILE_WALL_TIME):
            writer = event_file_writer.EventFileWriter(folder)
        for step, wall_time, value in step_events:
            writer.add_event(event_pb2.Event(wall_time=wall_time, step=step, summary=summary_pb2.Summary(value=[value])))
        writer.close()
        (name,) = os.listdir(folder)
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, "golden.tfevents"), "wb") as f:
        f.write(data)
    with open(os.path.join(FIXTURES, "golden-histograms.txt"), "w") as f:
        f.write(hex_lines(step_events))
    print("golden.tfevents: %d bytes, %d events (file name was %s)" % (len(data), len(step_events) + 1, name))


if __name__ == "__main__":
    main()
