#!/usr/bin/env python3
"""Write the compressed HDF5 fixtures of Tests/HDF5Tests/Fixtures.

Requires:  pip install h5py numpy
Usage:     python3 tools/make-filter-fixtures.py [--out DIR]   (default: Tests/HDF5Tests/Fixtures)

Writes:
  lzf.h5          x (120, 6) float32 and y (120,) int64, compressed as h5py users do with
                  compression="lzf" (filter 32000, h5py's own LZF) and shuffle, 30-row chunks:
                  x[i, j] = ((7*i + 3*j) % 11 - 5) / 4, y[i] = 1 if sum of row i > 0 else 0.
  no-plugin.h5    "zfp" (filter 32013, ZFP) and "zstd" (filter 32015, Zstandard): float32 (4, 3)
                  datasets whose one chunk holds 16 placeholder bytes, written with
                  allow_unknown_filter (h5py does not need the plugins to write them). Reading
                  needs a plugin that install-deps does not install.

The values are a pure function of the indices, so the tests check them independently; the
files are written with fixed metadata (no timestamps) and re-running gives the same values.
"""
import argparse
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "Tests", "HDF5Tests", "Fixtures"))


def lzf_values():
    i = np.arange(120).reshape(-1, 1)
    j = np.arange(6).reshape(1, -1)
    x = (((7 * i + 3 * j) % 11 - 5) / 4).astype(np.float32)
    y = (x.sum(axis=1) > 0).astype(np.int64)
    return x, y


def write_lzf(path):
    x, y = lzf_values()
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        f.create_dataset("x", data=x, chunks=(30, 6), compression="lzf", shuffle=True)
        f.create_dataset("y", data=y, chunks=(30,), compression="lzf")
        f.attrs["source"] = "tools/make-filter-fixtures.py"


def write_no_plugin(path):
    with h5py.File(path, "w", libver="earliest") as f:
        for name, filter_id in (("zfp", 32013), ("zstd", 32015)):
            dataset = f.create_dataset(name, shape=(4, 3), dtype="f4", chunks=(4, 3),
                                       compression=filter_id, allow_unknown_filter=True)
            dataset.id.write_direct_chunk((0, 0), bytes(range(16)))
        f.attrs["source"] = "tools/make-filter-fixtures.py"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write_lzf(os.path.join(args.out, "lzf.h5"))
    write_no_plugin(os.path.join(args.out, "no-plugin.h5"))
    for name in ("lzf.h5", "no-plugin.h5"):
        path = os.path.join(args.out, name)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
