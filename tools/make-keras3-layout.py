#!/usr/bin/env python3
"""Record the layout Keras 3 writes for a Sequential of Dense layers, as the golden fixture of the
Keras 3 weights export (Tests/ModelExportTests/Fixtures/keras3-layout.json).

Builds keras.Sequential([Input(64), Dense(16, relu), Dense(8, tanh), Dense(10, softmax)]) (the
test model's widths), calls model.save_weights("x.weights.h5") and lists every group and dataset
of the file with h5py: path, kind, shape, dtype, and attributes with their values and whether
they are variable-length strings. The tests write the same network with h5train and compare.

Needs: pip install keras h5py torch   (any Keras backend; the layout does not depend on it)

    KERAS_BACKEND=torch tools/make-keras3-layout.py [--out Tests/ModelExportTests/Fixtures/keras3-layout.json]
"""

import argparse
import json
import os
import tempfile

import h5py


def describe(name, obj):
    attributes = {}
    for key in sorted(obj.attrs):
        value = obj.attrs[key]
        string = h5py.check_string_dtype(obj.attrs.get_id(key).dtype)
        attributes[key] = {
            "value": value.decode() if isinstance(value, bytes) else (value if isinstance(value, str) else value.tolist()),
            "variable_length_string": bool(string is not None and string.length is None),
        }
    entry = {"path": "/" + name, "kind": "dataset" if isinstance(obj, h5py.Dataset) else "group", "attributes": attributes}
    if isinstance(obj, h5py.Dataset):
        entry["shape"] = list(obj.shape)
        entry["dtype"] = str(obj.dtype)
    return entry


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "Tests", "ModelExportTests",
                                                      "Fixtures", "keras3-layout.json"))
    args = parser.parse_args()
    import keras

    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(10, activation="softmax")])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.weights.h5")
        model.save_weights(path)
        entries = []
        with h5py.File(path, "r") as f:
            root = describe("", f)
            root["path"] = "/"
            entries.append(root)
            f.visititems(lambda name, obj: entries.append(describe(name, obj)))
    layout = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "h5py_version": h5py.__version__,
              "model": "Sequential: Input(64), Dense(16, relu), Dense(8, tanh), Dense(10, softmax)",
              "objects": sorted(entries, key=lambda e: e["path"])}
    with open(args.out, "w") as out:
        json.dump(layout, out, indent=1)
        out.write("\n")
    print(f"wrote {args.out}: {len(entries)} objects from Keras {keras.__version__}")


if __name__ == "__main__":
    main()
