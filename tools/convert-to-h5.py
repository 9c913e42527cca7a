#!/usr/bin/env python3
"""Convert your own data into an HDF5 file that `h5train train` can read.

Requires:  pip install h5py numpy

The output holds x_train / y_train (and x_test / y_test with --test-fraction),
gzip-compressed, rows first: row i of X belongs with row i of Y.

Inputs (pick one):
  CSV     one sample per row; one column is the label, every other column is a
          feature. --label-column picks the label by 0-based index (negative
          counts from the end; default -1 = last) or by header name. A header
          row is detected automatically (first row not all numbers), or force
          it with --header / --no-header. Delimiter: comma (--delimiter).
  .npz    one archive holding both arrays; --x-key / --y-key name them
          (default: X/y, x/y or x_train/y_train, whichever is present).
  .npy    two files: X.npy and Y.npy, in that order.

Labels:
  Integer labels (an integer array, or CSV cells like "3") are class ids
  0..K-1, stored as int64 shape (N,). Any other numbers (floats, or an
  integer array of shape (N,k), k > 1) are regression targets, stored as
  float32 (N,k). --classify maps arbitrary labels (e.g. strings, or ids
  that are not 0..K-1) to 0..K-1 in sorted order and stores the mapping in
  the file attribute `class_names`; --regress forces float targets.

Features keep their dtype from .npy/.npz (uint8 images stay uint8, so the
trainer's "auto" normalisation divides them by 255); CSV features become
float32 (--x-dtype to change). Any rank >= 1 is fine for X: (N,), (N,F),
(N,H,W), ...

Examples:
  python3 tools/convert-to-h5.py iris.csv -o iris.h5 --label-column species \\
      --classify --test-fraction 0.2 --seed 1
  python3 tools/convert-to-h5.py images.npz -o images.h5 --x-key images --y-key labels
  python3 tools/convert-to-h5.py X.npy Y.npy -o mine.h5 --test-fraction 0.1
  h5train train --data iris.h5 --x x_train --y y_train --val-x x_test --val-y y_test
"""
import argparse
import csv
import os
import sys

import h5py
import numpy as np


def fail(msg):
    sys.exit(f"convert-to-h5: error: {msg}")


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def read_csv(path, label_column, header, delimiter, x_dtype):
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter=delimiter) if r and any(c.strip() for c in r)]
    if not rows:
        fail(f"{path}: no rows")
    if header is None:  # auto: a header row has at least one non-numeric cell
        header = not all(is_number(c) for c in rows[0])
    names = [c.strip() for c in rows[0]] if header else None
    body = rows[1:] if header else rows
    if not body:
        fail(f"{path}: header but no data rows")
    width = len(body[0])
    for i, r in enumerate(body):
        if len(r) != width:
            fail(f"{path}: data row {i + 1} has {len(r)} columns, expected {width}")
    if width < 2:
        fail(f"{path}: need at least 2 columns (features and a label)")

    try:
        col = int(label_column)
    except ValueError:
        if names is None:
            fail(f"--label-column {label_column!r} is a name but the CSV has no header")
        if label_column not in names:
            fail(f"--label-column {label_column!r} not in header {names}")
        col = names.index(label_column)
    if not -width <= col < width:
        fail(f"--label-column {col} out of range for {width} columns")
    col %= width

    labels = np.array([r[col].strip() for r in body])
    feats = [[c for j, c in enumerate(r) if j != col] for r in body]
    try:
        x = np.array(feats, dtype=np.float64).astype(x_dtype)
    except ValueError as e:
        fail(f"{path}: a feature cell is not a number ({e})")
    feature_names = [n for j, n in enumerate(names) if j != col] if names else None
    return x, labels, feature_names


def read_numpy(paths, x_key, y_key):
    if len(paths) == 2:
        if not all(p.endswith(".npy") for p in paths):
            fail("two inputs must be X.npy Y.npy")
        return np.load(paths[0], allow_pickle=False), np.load(paths[1], allow_pickle=False)
    with np.load(paths[0], allow_pickle=False) as z:
        keys = list(z.keys())
        if x_key is None or y_key is None:
            for xk, yk in (("X", "y"), ("x", "y"), ("X", "Y"), ("x_train", "y_train")):
                if xk in keys and yk in keys:
                    x_key, y_key = x_key or xk, y_key or yk
                    break
        if x_key not in keys or y_key not in keys:
            fail(f"{paths[0]}: give --x-key and --y-key; arrays present: {keys}")
        return z[x_key], z[y_key]


def prepare_labels(y, mode):
    """Return (labels array, class_names or None)."""
    y = np.asarray(y)
    if mode == "classify":
        classes, ids = np.unique(y, return_inverse=True)
        return ids.reshape(-1).astype(np.int64), [str(c) for c in classes]
    if y.dtype.kind in "US":  # text from CSV
        if mode != "regress" and all(is_int_text(v) for v in y.reshape(-1)):
            y = y.astype(np.int64)
        else:
            try:
                y = y.astype(np.float64)
            except ValueError:
                fail("labels are not numbers; use --classify to map them to class ids")
    if mode != "regress" and y.dtype.kind in "iub" and (y.ndim == 1 or y.shape[1:] == (1,)):
        y = y.reshape(-1).astype(np.int64)
        if y.min() < 0:
            fail("class ids must be >= 0 (use --classify to remap them)")
        return y, None
    y = y.astype(np.float32)
    return (y.reshape(-1, 1) if y.ndim == 1 else y.reshape(y.shape[0], -1)), None


def is_int_text(s):
    try:
        return float(s) == int(float(s)) and "." not in s and "e" not in s.lower()
    except ValueError:
        return False


def split(x, y, fraction, seed, stratify):
    n = x.shape[0]
    n_test = int(round(n * fraction))
    if not 0 < n_test < n:
        fail(f"--test-fraction {fraction} leaves {n_test} of {n} rows for test")
    rng = np.random.default_rng(seed)
    if stratify:
        # Per class, the same fraction goes to test (rounded), then shuffle both sides.
        test_idx = []
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            k = int(round(len(idx) * fraction))
            test_idx.append(rng.permutation(idx)[:k])
        test = np.zeros(n, dtype=bool)
        test[np.concatenate(test_idx)] = True
        tr, te = rng.permutation(np.flatnonzero(~test)), rng.permutation(np.flatnonzero(test))
    else:
        perm = rng.permutation(n)
        te, tr = perm[:n_test], perm[n_test:]
    return x[tr], y[tr], x[te], y[te]


def write(path, arrays, attrs, level):
    with h5py.File(path, "w") as f:
        for name, a in arrays.items():
            a = np.ascontiguousarray(a)
            row_bytes = max(1, a[:1].nbytes)
            rows = max(1, min(a.shape[0], (1 << 20) // row_bytes))  # ~1 MiB chunks
            f.create_dataset(name, data=a, chunks=(rows,) + a.shape[1:],
                             compression="gzip", compression_opts=level,
                             shuffle=a.dtype.itemsize > 1, track_times=False)
        for k, v in attrs.items():
            f.attrs[k] = v


def main():
    ap = argparse.ArgumentParser(
        prog="convert-to-h5.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s INPUT [Y.npy] -o OUT.h5 [options]")
    ap.add_argument("inputs", nargs="+", metavar="INPUT",
                    help="data.csv | data.npz | X.npy Y.npy")
    ap.add_argument("-o", "--output", required=True, help="HDF5 file to write (overwritten)")
    g = ap.add_argument_group("CSV")
    g.add_argument("--label-column", default="-1", metavar="COL",
                   help="label column: 0-based index (negative from the end) or header "
                        "name (default: -1, the last column)")
    h = g.add_mutually_exclusive_group()
    h.add_argument("--header", dest="header", action="store_const", const=True,
                   help="first row is a header")
    h.add_argument("--no-header", dest="header", action="store_const", const=False,
                   help="first row is data")
    g.add_argument("--delimiter", default=",", help="field separator (default ',')")
    g.add_argument("--x-dtype", default="float32", choices=["float32", "float64"],
                   help="dtype of CSV features (default float32)")
    g = ap.add_argument_group(".npz")
    g.add_argument("--x-key", help="name of the features array in the .npz")
    g.add_argument("--y-key", help="name of the labels array in the .npz")
    g = ap.add_argument_group("labels")
    m = g.add_mutually_exclusive_group()
    m.add_argument("--classify", dest="mode", action="store_const", const="classify",
                   help="map labels (any values) to class ids 0..K-1")
    m.add_argument("--regress", dest="mode", action="store_const", const="regress",
                   help="store labels as float32 targets (N,k)")
    g = ap.add_argument_group("split and output")
    g.add_argument("--test-fraction", type=float, default=0.0, metavar="F",
                   help="move this fraction of rows to x_test/y_test (0 = no test split)")
    g.add_argument("--seed", type=int, default=0, help="shuffle seed for the split (default 0)")
    g.add_argument("--no-stratify", action="store_true",
                   help="classification: split at random instead of per class")
    g.add_argument("--gzip", type=int, default=4, choices=range(10), metavar="0-9",
                   help="gzip level (default 4)")
    args = ap.parse_args()

    inputs = args.inputs
    for p in inputs:
        if not os.path.exists(p):
            fail(f"{p}: no such file")
    feature_names = None
    if len(inputs) == 1 and inputs[0].lower().endswith((".csv", ".txt", ".tsv")):
        delim = "\t" if inputs[0].lower().endswith(".tsv") and args.delimiter == "," else args.delimiter
        x, y, feature_names = read_csv(inputs[0], args.label_column, args.header, delim,
                                       np.dtype(args.x_dtype))
    elif (len(inputs) == 1 and inputs[0].endswith(".npz")) or len(inputs) == 2:
        x, y = read_numpy(inputs, args.x_key, args.y_key)
    else:
        fail("input must be one .csv/.tsv, one .npz, or two .npy files (X then Y)")

    if x.ndim < 1 or x.shape[0] == 0:
        fail("X has no rows")
    if y.shape[0] != x.shape[0]:
        fail(f"X has {x.shape[0]} rows but Y has {y.shape[0]}")
    if x.dtype.kind not in "iuf" and x.dtype.kind != "b":
        fail(f"X dtype {x.dtype} is not numeric")
    y, class_names = prepare_labels(y, args.mode)
    classify = y.dtype == np.int64 and y.ndim == 1

    arrays = {"x_train": x, "y_train": y}
    if args.test_fraction > 0:
        xtr, ytr, xte, yte = split(x, y, args.test_fraction, args.seed,
                                   classify and not args.no_stratify)
        arrays = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}

    attrs = {"source": ", ".join(os.path.basename(p) for p in inputs),
             "generator": "tools/convert-to-h5.py"}
    if classify:
        attrs["classes"] = np.int64(len(class_names) if class_names else int(y.max()) + 1)
    if class_names:
        attrs["class_names"] = class_names
    if feature_names:
        attrs["feature_names"] = feature_names
    if args.test_fraction > 0:
        attrs["split"] = (f"test fraction {args.test_fraction}, seed {args.seed}, "
                          f"{'stratified' if classify and not args.no_stratify else 'random'}")
    write(args.output, arrays, attrs, args.gzip)

    for name, a in arrays.items():
        print(f"{args.output}:/{name}  {a.dtype}  {tuple(a.shape)}")
    if classify:
        print(f"classification, {attrs['classes']} classes"
              + (f": {', '.join(class_names)}" if class_names else ""))
    else:
        print(f"regression, {y.shape[1]} target(s)")


if __name__ == "__main__":
    main()
