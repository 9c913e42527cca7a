#!/usr/bin/env python3
"""Write H5Train's small example datasets into datasets/.

Requires:  pip install h5py scikit-learn numpy
Usage:     python3 tools/make-datasets.py [--out DIR]     (default DIR: datasets/)

Writes (all splits are fixed-seed, so re-running gives the same bytes):
  digits.h5     UCI handwritten digits (8x8, 10 classes), float32 in [0,1], int64 labels
  digits-u8.h5  the same split, uint8 pixels 0..255 and uint8 labels
  diabetes.h5   diabetes regression (442 x 10 raw features), float64 X, float32 (N,1) y
  xor.h5        noisy XOR, 2 classes, float32 (N,2), int64 labels

No network access is needed: the data ships inside scikit-learn. See
datasets/README.md for provenance, licences and the layout of each file.
"""
import argparse
import os

import h5py
import numpy as np
import sklearn
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split

SEED = 20240607
TEST_FRACTION = 0.2
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "datasets"))

DIGITS_SOURCE = ("UCI ML Repository: Optical Recognition of Handwritten Digits "
                 "(E. Alpaydin, C. Kaynak, 1998), doi:10.24432/C50P49; "
                 "copy shipped with scikit-learn (sklearn.datasets.load_digits)")
DIGITS_LICENCE = ("CC BY 4.0 (UCI Machine Learning Repository). Cite: Alpaydin, E. & "
                  "Kaynak, C. (1998). Optical Recognition of Handwritten Digits. "
                  "UCI Machine Learning Repository.")
DIABETES_FEATURES = [
    ("age", "age in years"),
    ("sex", "sex (coded 1 or 2)"),
    ("bmi", "body mass index"),
    ("bp", "average blood pressure"),
    ("s1", "tc, total serum cholesterol"),
    ("s2", "ldl, low-density lipoproteins"),
    ("s3", "hdl, high-density lipoproteins"),
    ("s4", "tch, total cholesterol / HDL"),
    ("s5", "ltg, possibly log of serum triglycerides level"),
    ("s6", "glu, blood sugar level"),
]


def write_h5(path, arrays, attrs):
    """Write arrays (name -> ndarray) and root attributes reproducibly."""
    tmp = path + ".tmp"
    # libver='earliest' and track_times=False keep timestamps out of the file.
    with h5py.File(tmp, "w", libver="earliest", track_order=False) as f:
        for name, a in arrays.items():
            a = np.ascontiguousarray(a)
            rows = a.shape[0]
            chunks = (min(rows, 1024),) + a.shape[1:]
            f.create_dataset(name, data=a, chunks=chunks, compression="gzip",
                             compression_opts=9, shuffle=a.dtype.itemsize > 1,
                             track_times=False)
        for k, v in attrs.items():
            f.attrs[k] = v
    os.replace(tmp, path)


def common_attrs(seed_note):
    return {
        "generator": "tools/make-datasets.py",
        "split": seed_note,
        "seed": SEED,
    }


def make_digits(out):
    d = load_digits()
    x = d.images.astype(np.float64)          # (1797, 8, 8), integer values 0..16
    y = d.target.astype(np.int64)             # (1797,), 0..9
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=SEED, stratify=y, shuffle=True)
    split = (f"stratified 80/20 train/test split: sklearn train_test_split("
             f"test_size={TEST_FRACTION}, stratify=y, random_state={SEED})")

    attrs = {
        "source": DIGITS_SOURCE,
        "licence": DIGITS_LICENCE,
        "classes": np.int64(10),
        "description": ("Handwritten digits 0-9 as 8x8 images; each pixel counts the "
                        "'on' pixels of a 4x4 block of the original 32x32 bitmap "
                        "(0..16). x_* = pixel/16 as float32 in [0,1]; y_* = digit "
                        "class 0..9 (int64)."),
    }
    attrs.update(common_attrs(split))
    write_h5(os.path.join(out, "digits.h5"), {
        "x_train": (x_tr / 16.0).astype(np.float32),
        "y_train": y_tr,
        "x_test": (x_te / 16.0).astype(np.float32),
        "y_test": y_te,
    }, attrs)

    def to_u8(a):  # 0..16 -> 0..255, round half up (8 -> 128)
        return np.floor(a * 255.0 / 16.0 + 0.5).astype(np.uint8)

    attrs_u8 = dict(attrs)
    attrs_u8["description"] = (
        "Same images and split as digits.h5, stored as integers: x_* = "
        "round(pixel*255/16) as uint8 in 0..255 (so dividing by 255 gives "
        "digits.h5's values to within 1/510); y_* = digit class 0..9 (uint8).")
    write_h5(os.path.join(out, "digits-u8.h5"), {
        "x_train": to_u8(x_tr),
        "y_train": y_tr.astype(np.uint8),
        "x_test": to_u8(x_te),
        "y_test": y_te.astype(np.uint8),
    }, attrs_u8)


def make_diabetes(out):
    try:
        d = load_diabetes(scaled=False)
        raw = True
    except TypeError:  # scikit-learn < 1.1 has no `scaled`
        d = load_diabetes()
        raw = False
    x = np.asarray(d.data, dtype=np.float64)           # (442, 10)
    y = np.asarray(d.target, dtype=np.float32)[:, None]  # (442, 1)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=SEED, shuffle=True)
    feats = "; ".join(f"{i}: {n} ({m})" for i, (n, m) in enumerate(DIABETES_FEATURES))
    scale = ("raw (unscaled) measurements" if raw else
             "mean-centred, scaled to unit L2 norm per column (sklearn default)")
    attrs = {
        "source": ("Diabetes data of Efron, Hastie, Johnstone & Tibshirani (2004), "
                   "'Least Angle Regression', Annals of Statistics 32(2):407-499; "
                   "copy shipped with scikit-learn (sklearn.datasets.load_diabetes)"),
        "licence": ("Distributed with scikit-learn under the BSD-3-Clause licence; "
                    "cite Efron et al. (2004)."),
        "description": (f"Regression: 442 diabetes patients, 10 baseline features, {scale}. "
                        f"Columns of x_*: {feats}. y_* (N,1) float32: a quantitative "
                        "measure of disease progression one year after baseline (25..346)."),
        "feature_names": [n for n, _ in DIABETES_FEATURES],
        "targets": np.int64(1),
    }
    attrs.update(common_attrs(
        f"random 80/20 train/test split: sklearn train_test_split("
        f"test_size={TEST_FRACTION}, random_state={SEED})"))
    write_h5(os.path.join(out, "diabetes.h5"), {
        "x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te,
    }, attrs)


def make_xor(out, n_train=400, n_test=100, sigma=0.15):
    rng = np.random.default_rng(SEED)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    labels = np.array([0, 1, 1, 0], dtype=np.int64)

    def sample(n):
        idx = np.tile(np.arange(4), n // 4 + 1)[:n]   # balanced classes
        idx = idx[rng.permutation(n)]
        x = corners[idx] + rng.normal(0.0, sigma, size=(n, 2))
        return x.astype(np.float32), labels[idx]

    x_tr, y_tr = sample(n_train)
    x_te, y_te = sample(n_test)
    attrs = {
        "source": "synthetic, generated by tools/make-datasets.py",
        "licence": "CC0 1.0 (public domain dedication)",
        "classes": np.int64(2),
        "description": (f"Noisy XOR: the corners (0,0),(1,1) are class 0 and (0,1),(1,0) "
                        f"class 1; each point is a corner plus N(0, {sigma}^2) noise per "
                        "coordinate. Not linearly separable: a network needs a hidden "
                        "layer. x_* float32 (N,2), y_* int64 (N,)."),
    }
    attrs.update(common_attrs(
        f"independent draws: {n_train} train, {n_test} test, numpy default_rng({SEED})"))
    write_h5(os.path.join(out, "xor.h5"), {
        "x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te,
    }, attrs)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT,
                    help="output directory (default: datasets/ next to tools/)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    make_digits(args.out)
    make_diabetes(args.out)
    make_xor(args.out)
    for name in ("digits.h5", "digits-u8.h5", "diabetes.h5", "xor.h5"):
        p = os.path.join(args.out, name)
        print(f"wrote {os.path.relpath(p)} ({os.path.getsize(p)} bytes)")
    print(f"(h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version}, "
          f"scikit-learn {sklearn.__version__}, numpy {np.__version__})")


if __name__ == "__main__":
    main()
