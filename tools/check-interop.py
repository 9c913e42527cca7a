#!/usr/bin/env python3
"""Load every `h5train export` of a checkpoint in its real consumer and compare the predictions
with `h5train predict` on the same rows.

  ONNX         onnx.checker (full check, with shape inference), then onnxruntime on the raw features,
               at two batch sizes (the batch dimension is dynamic)
  safetensors  the written m.py run as is (torch + safetensors.torch; strict load_state_dict), and
               the file compared with what the reference writer makes of the same tensors
  Keras 3      KERAS_BACKEND=torch; a Sequential of Dense layers built from the checkpoint's
               activations loads the .weights.h5 export (native layout), and another the legacy .h5

Each line gives the largest absolute difference from h5train's output (and, for regression, the
same relative to max(1, |value|)) and, for classification, on how many rows the argmax agrees.
PASS needs every difference within --tolerance (absolute for probabilities; relative to
max(1, |value|) for regression outputs, whose float32 spacing near 100 is about 1e-5) and the
same argmax on every row. Exit status 0 on PASS, 1 on FAIL.

Needs: pip install onnxruntime onnx safetensors torch keras h5py numpy   (never needed by the tests)

    tools/check-interop.py --checkpoint mnist.ckpt.h5 --data mnist.h5 --x x_test [--h5train .build/debug/h5train]
"""

import argparse
import os
import runpy
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import numpy as np  # noqa: E402


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def run(command):
    print("$ " + " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def read_checkpoint(path):
    with h5py.File(path, "r") as f:
        activations = text(f["model"].attrs["activations"]).split(",")
        norm = f["normalization"]
        normalization = {"kind": text(norm.attrs["kind"])}
        if normalization["kind"] == "scale":
            normalization["factor"] = np.float32(norm.attrs["factor"])
        elif normalization["kind"] == "standardize":
            normalization["mean"] = norm["mean"][...].astype(np.float32)
            normalization["std"] = norm["std"][...].astype(np.float32)
        sizes = [int(s) for s in f["model"].attrs["layer_sizes"]]
        return {"task": text(f.attrs["task"]), "activations": activations, "sizes": sizes, "normalization": normalization}


def normalize(x, normalization):
    """h5train's normalisation in float32, for the Keras rebuilds (the other exports include it)."""
    if normalization["kind"] == "scale":
        return x * normalization["factor"]
    if normalization["kind"] == "standardize":
        return (x - normalization["mean"]) / normalization["std"]
    return x


def as_probabilities(outputs, checkpoint):
    """What h5train predict writes for the network's outputs (see Checkpoint.predictions)."""
    if checkpoint["task"] != "classification":
        return outputs
    last = checkpoint["activations"][-1]
    if last == "softmax":
        return outputs
    if last == "log_softmax":
        return np.exp(outputs)
    z = outputs - outputs.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def onnx_outputs(path, x):
    import onnx
    import onnxruntime

    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opset = [o.version for o in model.opset_import if o.domain == ""][0]
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    print(f"onnx: opset {opset}, input {inp.name} {inp.shape} {inp.type}, output {out.name} {out.shape}, "
          f"nodes {' '.join(n.op_type for n in model.graph.node)}")
    outputs = session.run(None, {inp.name: x})[0]
    few = session.run(None, {inp.name: x[:3]})[0]
    if not np.array_equal(few, outputs[:3]) and np.abs(few - outputs[:3]).max() > 1e-6:
        sys.exit("onnx: the first 3 rows alone give other outputs than in the whole batch")
    return outputs


def safetensors_outputs(path, script, x):
    import torch
    from safetensors.numpy import load_file, save

    namespace = runpy.run_path(script)
    model = namespace["model"]
    with torch.no_grad():
        outputs = model(torch.from_numpy(x)).numpy()
    # The file against the reference writer: same header JSON (metadata order aside), same data.
    with open(path, "rb") as f:
        ours = f.read()
    from safetensors import safe_open
    with safe_open(path, "np") as f:
        metadata = f.metadata()
    reference = save(load_file(path), metadata=metadata)
    import json
    import struct
    def split(b):
        n = struct.unpack("<Q", b[:8])[0]
        return n, json.loads(b[8:8 + n]), b[8 + n:]
    (n1, h1, d1), (n2, h2, d2) = split(ours), split(reference)
    same = h1 == h2 and d1 == d2 and n1 == n2 and n1 % 8 == 0
    print(f"safetensors: {len(h1) - 1} tensors {sorted(k for k in h1 if k != '__metadata__')}, header {n1} bytes; "
          f"{'same header and data as' if same else 'DIFFERS from'} the reference writer's file")
    if not same:
        sys.exit("safetensors: the file differs from what the reference writer makes of its tensors")
    return outputs


def keras_activation(keras, name):
    kind, _, parameter = name.partition(":")
    p = float(parameter) if parameter else None
    ops = keras.ops
    table = {
        "identity": None, "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
        "log_softmax": "log_softmax", "silu": "silu",
        "gelu": lambda x: keras.activations.gelu(x, approximate=False),
        "gelu_tanh": lambda x: keras.activations.gelu(x, approximate=True),
        "leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=p if p is not None else 0.01),
        "elu": lambda x: keras.activations.elu(x, alpha=p if p is not None else 1.0),
        "softplus": lambda x: keras.activations.softplus(x * (p or 1.0)) / (p or 1.0),
        "step": lambda x: ops.cast(x > 0, x.dtype),
    }
    return table[kind]


def keras_outputs(path, checkpoint, x):
    import keras

    sizes, activations = checkpoint["sizes"], checkpoint["activations"]
    model = keras.Sequential([keras.Input(shape=(sizes[0],))] + [
        keras.layers.Dense(width, activation=keras_activation(keras, a)) for width, a in zip(sizes[1:], activations)])
    model.load_weights(path)
    return np.asarray(model.predict(normalize(x, checkpoint["normalization"]), verbose=0, batch_size=4096))


def compare(name, outputs, reference, classes, classification, tolerance, problems):
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape != reference.shape:
        problems.append(f"{name}: shape {outputs.shape}, h5train {reference.shape}")
        print(f"{name:18} shape {outputs.shape} vs h5train {reference.shape}")
        return
    difference = np.abs(outputs - reference)
    relative = float((difference / np.maximum(1, np.abs(reference))).max())
    line = f"{name:18} max |difference| {difference.max():.3g}"
    measured = difference.max() if classification else relative
    if not classification:
        line += f", relative to max(1, |value|) {relative:.3g}"
    if classification:
        agree = outputs.argmax(axis=1) == classes
        line += f", argmax agrees on {agree.sum()}/{len(agree)} rows"
        if not agree.all():
            problems.append(f"{name}: argmax differs on {int((~agree).sum())} rows")
    if measured > tolerance:
        problems.append(f"{name}: difference {measured:.3g} > {tolerance:g}")
    print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--data", required=True, help="HDF5 file with the input rows")
    parser.add_argument("--x", default="x_test", help="dataset of inputs (default x_test)")
    parser.add_argument("--h5train", default=shutil.which("h5train") or ".build/debug/h5train")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()

    checkpoint = read_checkpoint(args.checkpoint)
    classification = checkpoint["task"] == "classification"
    folder = tempfile.mkdtemp(prefix="check-interop-")
    problems = []
    try:
        paths = {k: os.path.join(folder, v) for k, v in
                 (("onnx", "m.onnx"), ("safetensors", "m.safetensors"), ("keras3", "m.weights.h5"),
                  ("legacy", "m.keras-legacy.h5"), ("predictions", "predictions.h5"))}
        run([args.h5train, "predict", "--checkpoint", args.checkpoint, "--data", args.data, "--x", args.x,
             "--out", paths["predictions"]])
        run([args.h5train, "export", "--onnx", args.checkpoint, paths["onnx"]])
        run([args.h5train, "export", "--safetensors", args.checkpoint, paths["safetensors"]])
        run([args.h5train, "export", "--keras", args.checkpoint, paths["keras3"]])
        run([args.h5train, "export", "--keras", args.checkpoint, paths["legacy"]])
        with h5py.File(args.data, "r") as f:
            raw = f[args.x][...]
        x = raw.reshape(raw.shape[0], -1).astype(np.float32)
        with h5py.File(paths["predictions"], "r") as f:
            reference = f["probabilities" if classification else "predictions"][...].astype(np.float64)
            classes = f["classes"][...] if classification else None
        print(f"checkpoint {args.checkpoint}: {checkpoint['task']}, "
              + " → ".join([str(checkpoint['sizes'][0])] + [f"{s} {a}" for s, a in zip(checkpoint['sizes'][1:], checkpoint['activations'])])
              + f", normalisation {checkpoint['normalization']['kind']}")
        print(f"rows: {x.shape[0]} of {args.data}:{args.x} {raw.dtype} {raw.shape}, given to every export as raw float32 (N, {x.shape[1]})")
        compare("onnxruntime", onnx_outputs(paths["onnx"], x), reference, classes, classification, args.tolerance, problems)
        compare("torch+safetensors", safetensors_outputs(paths["safetensors"], os.path.join(folder, "m.py"), x),
                reference, classes, classification, args.tolerance, problems)
        import keras
        print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
        compare("keras3 .weights.h5", as_probabilities(keras_outputs(paths["keras3"], checkpoint, x), checkpoint),
                reference, classes, classification, args.tolerance, problems)
        compare("keras3 legacy .h5", as_probabilities(keras_outputs(paths["legacy"], checkpoint, x), checkpoint),
                reference, classes, classification, args.tolerance, problems)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: ONNX Runtime, PyTorch and Keras 3 (native and legacy files) match h5train predict within {args.tolerance:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
