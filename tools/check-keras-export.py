#!/usr/bin/env python3
"""Check an `h5train export --keras` file against `h5train predict`.

Loads the Keras legacy HDF5 weights file with h5py, checks its layout (layer_names, weight_names,
kernel = transpose of the checkpoint's weight, bias equal), rebuilds the network in NumPy (float64,
the reference), in PyTorch if it is installed and in Keras if it can be imported, applies the
checkpoint's normalisation (read from the checkpoint with h5py) to the rows of a dataset, and
compares every rebuild's outputs with the predictions h5train wrote: the largest absolute difference
(within --tolerance, relative to the value where that is above 1) and, for classification, how often
the most probable class agrees. Prints PASS or FAIL (exit status 0 or 1).

Needs: pip install h5py numpy torch   (torch and tensorflow are optional; each is used if present)

    tools/check-keras-export.py --checkpoint runs/digits.ckpt.h5 --data datasets/digits.h5 --x x_test
        [--keras digits.keras.h5] [--predictions digits.pred.h5] [--h5train .build/debug/h5train]

Without --keras or --predictions, the script runs `h5train export` / `h5train predict` itself
(into a temporary folder) with the binary given by --h5train.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_checkpoint(path):
    """Activations, weights (PyTorch layout) and normalisation of an h5train checkpoint."""
    with h5py.File(path, "r") as f:
        if text(f.attrs.get("format", "")) != "h5train-checkpoint":
            sys.exit(f"{path}: not an h5train checkpoint")
        activations = text(f["model"].attrs["activations"]).split(",")
        layers = [(f[f"model/dense_{i}/weight"][...], f[f"model/dense_{i}/bias"][...]) for i in range(len(activations))]
        norm = f["normalization"]
        kind = text(norm.attrs["kind"])
        normalization = {"kind": kind}
        if kind == "scale":
            normalization["factor"] = np.float32(norm.attrs["factor"])
        elif kind == "standardize":
            normalization["mean"] = norm["mean"][...].astype(np.float32)
            normalization["std"] = norm["std"][...].astype(np.float32)
        return {"task": text(f.attrs["task"]), "activations": activations, "layers": layers, "normalization": normalization}


def read_keras(path, checkpoint):
    """Kernels and biases from the Keras weights file, with the layout checked; returns (layers, problems)."""
    problems = []
    layers = []
    with h5py.File(path, "r") as f:
        names = [text(n) for n in f.attrs["layer_names"]]
        expected = [f"dense_{i}" for i in range(len(checkpoint["layers"]))]
        if names != expected:
            problems.append(f"layer_names {names}, expected {expected}")
        for attribute, value in (("backend", "tensorflow"), ("keras_version", "2.x")):
            if text(f.attrs.get(attribute, "")) != value:
                problems.append(f"root attribute {attribute} is {f.attrs.get(attribute)!r}, expected {value!r}")
        for name, (weight, bias) in zip(names, checkpoint["layers"]):
            weight_names = [text(n) for n in f[name].attrs["weight_names"]]
            if weight_names != [f"{name}/kernel:0", f"{name}/bias:0"]:
                problems.append(f"{name}: weight_names {weight_names}")
            kernel = f[name][weight_names[0]][...]
            b = f[name][weight_names[1]][...]
            if kernel.shape != weight.T.shape or kernel.dtype != np.float32:
                problems.append(f"{name}: kernel {kernel.shape} {kernel.dtype}, expected {weight.T.shape} float32")
            elif not np.array_equal(kernel, weight.T):
                problems.append(f"{name}: kernel is not the transpose of the checkpoint's weight")
            if not np.array_equal(b, bias):
                problems.append(f"{name}: bias differs from the checkpoint's")
            layers.append((kernel, b))
    return layers, problems


def normalize(x, normalization):
    """h5train's normalisation, in float32 as h5train computes it."""
    x = x.reshape(x.shape[0], -1).astype(np.float32)
    if normalization["kind"] == "scale":
        return x * normalization["factor"]
    if normalization["kind"] == "standardize":
        return (x - normalization["mean"]) / normalization["std"]
    return x


def parameter(name, default):
    parts = name.split(":")
    return parts[0], float(parts[1]) if len(parts) > 1 else default


def numpy_activation(x, name):
    kind, p = parameter(name, None)
    if kind == "identity":
        return x
    if kind == "relu":
        return np.maximum(x, 0)
    if kind == "leaky_relu":
        return np.where(x > 0, x, (p if p is not None else 0.01) * x)
    if kind == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if kind == "tanh":
        return np.tanh(x)
    if kind == "step":
        return (x > 0).astype(x.dtype)
    if kind in ("softmax", "log_softmax"):
        z = x - x.max(axis=1, keepdims=True)
        log = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return np.exp(log) if kind == "softmax" else log
    if kind == "elu":
        return np.where(x > 0, x, (p if p is not None else 1.0) * np.expm1(x))
    if kind == "gelu":
        from math import erf, sqrt
        return x * 0.5 * (1 + np.vectorize(erf)(x / sqrt(2)))
    if kind == "gelu_tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    if kind == "silu":
        return x / (1 + np.exp(-x))
    if kind == "softplus":
        beta = p if p is not None else 1.0
        return np.where(beta * x > 20, x, np.log1p(np.exp(np.minimum(beta * x, 20))) / beta)
    sys.exit(f"unknown activation {name}")


def as_probabilities(outputs, task, last):
    """Class probabilities as h5train predict writes them (softmax output; log-softmax exponentiated)."""
    if task != "classification":
        return outputs
    if last == "log_softmax":
        return np.exp(outputs)
    return outputs if last == "softmax" else numpy_activation(outputs, "softmax")


def numpy_forward(x, layers, activations):
    y = x.astype(np.float64)
    for (kernel, bias), activation in zip(layers, activations):
        y = numpy_activation(y @ kernel.astype(np.float64) + bias.astype(np.float64), activation)
    return y


def torch_forward(x, layers, activations):
    try:
        import torch
    except ImportError:
        return None
    modules = []
    for (kernel, bias), name in zip(layers, activations):
        linear = torch.nn.Linear(kernel.shape[0], kernel.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.T)))
            linear.bias.copy_(torch.from_numpy(bias))
        modules += [linear, torch_activation(torch, name)]
    model = torch.nn.Sequential(*modules).eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy().astype(np.float64)


def torch_activation(torch, name):
    kind, p = parameter(name, None)
    nn = torch.nn
    if kind == "identity":
        return nn.Identity()
    if kind == "relu":
        return nn.ReLU()
    if kind == "leaky_relu":
        return nn.LeakyReLU(p if p is not None else 0.01)
    if kind == "sigmoid":
        return nn.Sigmoid()
    if kind == "tanh":
        return nn.Tanh()
    if kind == "softmax":
        return nn.Softmax(dim=1)
    if kind == "log_softmax":
        return nn.LogSoftmax(dim=1)
    if kind == "elu":
        return nn.ELU(p if p is not None else 1.0)
    if kind == "gelu":
        return nn.GELU()
    if kind == "gelu_tanh":
        return nn.GELU(approximate="tanh")
    if kind == "silu":
        return nn.SiLU()
    if kind == "softplus":
        return nn.Softplus(beta=p if p is not None else 1.0)
    if kind == "step":
        class Step(nn.Module):
            def forward(self, x):
                return (x > 0).to(x.dtype)
        return Step()
    sys.exit(f"PyTorch rebuild: no module for activation {name}")


KERAS_ACTIVATIONS = {"identity": "linear", "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
                     "elu": "elu", "gelu": "gelu", "silu": "swish", "softplus": "softplus"}


def keras_forward(x, path, checkpoint):
    try:
        import tensorflow as tf  # noqa: F401
        from tensorflow import keras
    except Exception:
        return None, "tensorflow not importable"
    if any(a not in KERAS_ACTIVATIONS for a in checkpoint["activations"]):
        return None, f"activations {checkpoint['activations']} have no Keras string"
    weight, _ = checkpoint["layers"][0]
    model = keras.Sequential([keras.Input(shape=(weight.shape[1],))] + [
        keras.layers.Dense(w.shape[0], activation=KERAS_ACTIVATIONS[a], name=f"dense_{i}")
        for i, ((w, _), a) in enumerate(zip(checkpoint["layers"], checkpoint["activations"]))])
    with tempfile.TemporaryDirectory() as folder:
        # Keras 3 reads "*.weights.h5" as its new format; a plain ".h5" name selects the legacy reader.
        legacy = os.path.join(folder, "legacy.h5")
        shutil.copyfile(path, legacy)
        model.load_weights(legacy)
    return model.predict(x, verbose=0).astype(np.float64), None


def run(command):
    print("$ " + " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {result.stderr.strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, help="h5train checkpoint")
    parser.add_argument("--data", required=True, help="HDF5 file with the input rows")
    parser.add_argument("--x", default="x_test", help="dataset of inputs (default x_test)")
    parser.add_argument("--keras", help="Keras weights file from `h5train export --keras` (default: export now)")
    parser.add_argument("--predictions", help="output of `h5train predict` on the same rows (default: predict now)")
    parser.add_argument("--h5train", default=shutil.which("h5train") or ".build/debug/h5train", help="h5train binary")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="largest allowed |difference| / max(1, |h5train value|) (default 1e-5)")
    args = parser.parse_args()

    checkpoint = read_checkpoint(args.checkpoint)
    folder = tempfile.mkdtemp(prefix="check-keras-export-")
    try:
        keras_path = args.keras or os.path.join(folder, "export.keras.h5")
        predictions_path = args.predictions or os.path.join(folder, "predictions.h5")
        if not args.keras:
            run([args.h5train, "export", "--keras", args.checkpoint, keras_path])
        if not args.predictions:
            run([args.h5train, "predict", "--checkpoint", args.checkpoint, "--data", args.data, "--x", args.x,
                 "--out", predictions_path])
        layers, problems = read_keras(keras_path, checkpoint)
        with h5py.File(args.data, "r") as f:
            x = normalize(f[args.x][...], checkpoint["normalization"])
        with h5py.File(predictions_path, "r") as f:
            classification = checkpoint["task"] == "classification"
            h5train = f["probabilities" if classification else "predictions"][...].astype(np.float64)
            classes = f["classes"][...] if classification else None
        print(f"checkpoint {args.checkpoint}: {checkpoint['task']}, layers "
              + " → ".join([str(x.shape[1])] + [f"{k.shape[1]} {a}" for (k, _), a in zip(layers, checkpoint["activations"])])
              + f", normalisation {checkpoint['normalization']['kind']}")
        print(f"rows: {x.shape[0]} from {args.data}:{args.x}; h5train predictions {h5train.shape} from {predictions_path}")
        print("layout: " + ("OK (layer_names, weight_names, kernel = weightᵀ, bias)" if not problems else "; ".join(problems)))
        if classes is not None and not np.array_equal(classes, h5train.argmax(axis=1)):
            problems.append("h5train's classes are not the argmax of its probabilities")

        last = checkpoint["activations"][-1]
        rebuilds = [("numpy", numpy_forward(x, layers, checkpoint["activations"]))]
        torch_outputs = torch_forward(x, layers, checkpoint["activations"])
        if torch_outputs is not None:
            rebuilds.append(("pytorch", torch_outputs))
        else:
            print("pytorch: not installed, skipped")
        keras_outputs, why = keras_forward(x, keras_path, checkpoint)
        if keras_outputs is not None:
            rebuilds.append(("keras", keras_outputs))
        else:
            print(f"keras:   skipped ({why})")

        for name, outputs in rebuilds:
            outputs = as_probabilities(outputs, checkpoint["task"], last)
            if outputs.shape != h5train.shape:
                problems.append(f"{name}: shape {outputs.shape} vs h5train {h5train.shape}")
                continue
            difference = np.abs(outputs - h5train)
            scaled = float((difference / np.maximum(1, np.abs(h5train))).max())
            line = f"{name:8} max |difference| {difference.max():.3g}"
            if not classification:
                line += f" (relative to max(1, |value|): {scaled:.3g})"
            if scaled > args.tolerance:
                problems.append(f"{name}: max |difference| / max(1, |value|) {scaled:.3g} > tolerance {args.tolerance:g}")
            if classification:
                agree = outputs.argmax(axis=1) == h5train.argmax(axis=1)
                top2 = np.sort(outputs, axis=1)[:, -2:]
                near_tie = (top2[:, 1] - top2[:, 0]) <= 2 * args.tolerance
                line += f", argmax agreement {agree.sum()}/{len(agree)} ({100 * agree.mean():.2f} %)"
                if (~agree & ~near_tie).any():
                    problems.append(f"{name}: argmax differs on {int((~agree & ~near_tie).sum())} rows that are not near-ties")
            print(line)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: {len(rebuilds)} rebuild(s) of the exported weights match h5train predict within {args.tolerance:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
