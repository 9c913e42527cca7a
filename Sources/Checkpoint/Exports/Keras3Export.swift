import Data
import HDF5
import NeuralNet
import Settings
import Training

/// Writes a checkpoint's weights in Keras 3's native weights layout, what
/// `model.save_weights("m.weights.h5")` writes for a `keras.Sequential` of `Dense` layers and what
/// `model.load_weights("m.weights.h5")` reads:
///
///     /layers/dense/vars          attribute name "dense"    (layer 0)
///     /layers/dense/vars/0        float32 (inputs × outputs), the kernel
///     /layers/dense/vars/1        float32 (outputs), the bias
///     /layers/dense_<i>/vars      attribute name "dense_<i>" (layer i ≥ 1), and 0, 1 as above
///     /vars                       attribute name "sequential" (the model's own variables: none)
///
/// Keras 3 names each group after the layer's class and its position among the model's layers of
/// that class (dense, dense_1, …), not after the layer's `name`, so the file loads into any
/// `Sequential` whose layers are these `Dense` layers in this order (and no other layers: an
/// `Activation` layer would take a group of its own). `tools/make-keras3-layout.py` records what
/// Keras itself writes, and the tests compare this writer with it. Keras picks its reader by the
/// file name: this layout needs a name ending in `.weights.h5`.
public enum Keras3Export {
    /// The suffix Keras 3 requires of a native weights file.
    public static let suffix = ".weights.h5"

    /// The group (and Keras layer name) of layer `index`: `dense`, `dense_1`, `dense_2`, …
    public static func layerName(_ index: Int) -> String { index == 0 ? "dense" : "dense_\(index)" }

    /// The Keras 3 activation for `activation`, as a Python expression for `Dense(activation=…)`.
    public static func kerasActivation(_ activation: Activation) -> String {
        switch activation {
        case .identity: "None"
        case .sigmoid: "'sigmoid'"
        case .tanh: "'tanh'"
        case .relu: "'relu'"
        case .softmax: "'softmax'"
        case .logSoftmax: "'log_softmax'"
        case .silu: "'silu'"
        case .gelu: "lambda x: keras.activations.gelu(x, approximate=False)"
        case .geluTanh: "lambda x: keras.activations.gelu(x, approximate=True)"
        case .leakyReLU(let slope): "lambda x: keras.activations.leaky_relu(x, negative_slope=\(PythonLiteral.float(slope)))"
        case .elu(let alpha): alpha == 1 ? "'elu'" : "lambda x: keras.activations.elu(x, alpha=\(PythonLiteral.float(alpha)))"
        case .softplus(let beta):
            beta == 1 ? "'softplus'"
                : "lambda x: keras.activations.softplus(x * \(PythonLiteral.float(beta))) / \(PythonLiteral.float(beta))"
        case .step: "lambda x: keras.ops.cast(x > 0, x.dtype)"
        }
    }

    /// Writes `checkpoint`'s weights to `path` (atomically), refusing to overwrite `checkpointPath`.
    public static func write(_ checkpoint: TrainingState, checkpointPath: String, to path: String) throws(TrainingError) {
        try OutputPath.check(path, setting: .output, against: [("the checkpoint", checkpointPath)])
        guard path.hasSuffix(suffix) else {
            throw .invalidSetting(.output, "\(path): Keras 3 reads its native weights layout only from a name ending in \(suffix)")
        }
        let architecture = checkpoint.model.architecture, parameters = checkpoint.parameters
        try OutputPath.writeAtomically(to: path) { file throws(HDF5Error) in
            let layers = try file.createGroup("layers")
            for (index, layer) in architecture.layers.enumerated() {
                let vars = try layers.createGroup(layerName(index)).createGroup("vars")
                try vars.setAttribute("name", layerName(index))
                // The kernel is inputs × outputs, as the engine keeps W.
                let weightStart = architecture.weightOffsets[index], biasStart = architecture.biasOffset(index)
                try vars.createDataset("0", shape: [layer.inputs, layer.outputs], values: Array(parameters[weightStart..<biasStart]))
                try vars.createDataset("1", shape: [layer.outputs], values: Array(parameters[biasStart..<(biasStart + layer.outputs)]))
            }
            try file.createGroup("vars").setAttribute("name", "sequential")
        }
    }

    /// Python lines that build the matching model, load the file and apply the normalisation.
    public static func pythonSource(_ checkpoint: TrainingState, weightsPath: String) -> [String] {
        let architecture = checkpoint.model.architecture
        var lines = ["import keras", "model = keras.Sequential(["]
        lines.append("    keras.Input(shape=(\(architecture.inputSize),)),")
        for (index, layer) in architecture.layers.enumerated() {
            lines.append("    keras.layers.Dense(\(layer.outputs), activation=\(kerasActivation(layer.activation)), name=\(PythonLiteral.string(layerName(index)))),")
        }
        lines.append("])")
        lines.append("model.load_weights(\(PythonLiteral.string(weightsPath)))")
        return lines
    }
}
