#!/usr/bin/env python3
"""Write an MNIST-shaped HDF5 dataset of any number of rows, for streaming and memory benchmarks.

Requires:  pip install h5py numpy
Usage:     python3 tools/make-large-dataset.py --rows 1200000 --out big.h5
               [--source ../shared/datasets/mnist.h5] [--layout gzip|contiguous] [--sorted]

The rows are the source's x_train rows repeated; every repetition after the first shifts each
image by a small deterministic offset (up to 2 pixels in each direction, a function of the
repetition number alone), so no two copies of an image are identical but every one is still a
plausible digit. y_train follows its images. x_test and y_test are copied unchanged, so a run on
the large file validates on the same 10,000 test images as one on MNIST.

Layouts:
  gzip        x_train chunked in blocks of 1,000 rows, shuffle + gzip level 4 (as the source)
  contiguous  x_train stored contiguously, uncompressed
--sorted writes the training rows ordered by label (all 0s, then all 1s, …): the worst case for a
shuffle that only mixes nearby rows.

The file is written block by block, so it can be larger than this machine's memory. Not used by
the test suite (tests make small files of their own).
"""
import argparse
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "datasets", "mnist.h5"))
BLOCK = 60_000  # rows written at a time


def shifted(images, repetition):
    """`images` (n, 28, 28) moved by the offset of `repetition` (0: unchanged), edges filled with 0."""
    if repetition == 0:
        return images
    dy, dx = (repetition * 7) % 5 - 2, (repetition * 3) % 5 - 2
    if dy == 0 and dx == 0:
        dx = 1
    moved = np.zeros_like(images)
    ys, yd = (slice(0, 28 - dy), slice(dy, 28)) if dy >= 0 else (slice(-dy, 28), slice(0, 28 + dy))
    xs, xd = (slice(0, 28 - dx), slice(dx, 28)) if dx >= 0 else (slice(-dx, 28), slice(0, 28 + dx))
    moved[:, yd, xd] = images[:, ys, xs]
    return moved


def training_rows(x, y, rows, by_label):
    """Yields (first row, images, labels) blocks of the enlarged training set, in file order."""
    n = len(x)
    if not by_label:
        for start in range(0, rows, BLOCK):
            count = min(BLOCK, rows - start)
            index = np.arange(start, start + count)
            repetition, position = index // n, index % n
            images = np.concatenate([shifted(x[position[repetition == r]], r) for r in np.unique(repetition)])
            yield start, images, y[position]
        return
    # Sorted by label: each label's images, repeated with shifts until its tenth of the rows is full
    # (the last label takes whatever remains, so the file has exactly `rows` rows).
    written = 0
    for label in range(10):
        members = np.flatnonzero(y == label)
        quota = rows - written if label == 9 else (rows * (label + 1)) // 10 - written
        repetition = 0
        while quota > 0:
            chosen = members[:min(len(members), quota)]
            yield written, shifted(x[chosen], repetition), y[chosen]
            written, quota, repetition = written + len(chosen), quota - len(chosen), repetition + 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="training rows to write")
    parser.add_argument("--out", required=True, help="the HDF5 file to write")
    parser.add_argument("--source", default=DEFAULT_SOURCE, help="MNIST as the shared datasets folder holds it")
    parser.add_argument("--layout", choices=["gzip", "contiguous"], default="gzip")
    parser.add_argument("--sorted", action="store_true", help="order the training rows by label")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")

    with h5py.File(args.source, "r") as source:
        x, y = source["x_train"][:], source["y_train"][:]
        x_test, y_test = source["x_test"][:], source["y_test"][:]
    options = dict(chunks=(1000, 28, 28), shuffle=True, compression="gzip", compression_opts=4) \
        if args.layout == "gzip" else {}
    with h5py.File(args.out, "w") as out:
        xs = out.create_dataset("x_train", shape=(args.rows, 28, 28), dtype="uint8", **options)
        ys = out.create_dataset("y_train", shape=(args.rows,), dtype=y.dtype)
        written = 0
        for start, images, labels in training_rows(x, y, args.rows, args.sorted):
            count = min(len(images), args.rows - start)
            xs[start:start + count] = images[:count]
            ys[start:start + count] = labels[:count]
            written = start + count
            print(f"\r{written:,} of {args.rows:,} rows", end="", flush=True)
        print()
        out.create_dataset("x_test", data=x_test)
        out.create_dataset("y_test", data=y_test)
        out.attrs["source"] = f"MNIST x_train repeated with small deterministic shifts to {args.rows} rows"
        out.attrs["layout"] = args.layout + (", sorted by label" if args.sorted else "")
    print(f"wrote {args.out}: {args.rows:,} training rows ({args.layout}{', sorted by label' if args.sorted else ''})")


if __name__ == "__main__":
    main()
