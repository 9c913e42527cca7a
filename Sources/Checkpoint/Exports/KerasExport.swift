import HDF5
import NeuralNet
import Optimizers
import Settings
import Training

/// Writes a checkpoint's weights in the Keras legacy HDF5 weights layout (what Keras 2's
/// `model.save_weights("w.h5")` writes for a stack of `Dense` layers, and `load_weights` reads):
///
///     /                              layer_names ["dense_0", …], backend "tensorflow", keras_version "2.x"
///     /dense_<i>                     weight_names ["dense_<i>/kernel:0", "dense_<i>/bias:0"]
///     /dense_<i>/dense_<i>/kernel:0  float32 (inputs × outputs): our weight as the engine keeps it
///     /dense_<i>/dense_<i>/bias:0    float32 (outputs)
///
/// Name arrays are fixed-length, null-padded strings as h5py writes them. The file holds weights
/// only; the root also records `h5train_activations` (our activation names, one per layer) and
/// `h5train_checkpoint` (the source), which Keras ignores, so the network can be rebuilt.
public enum KerasExport {
    /// The value of the root's `backend` attribute.
    public static let backend = "tensorflow"
    /// The value of the root's `keras_version` attribute.
    public static let kerasVersion = "2.x"

    /// The Keras name of layer `index`.
    public static func layerName(_ index: Int) -> String { "dense_\(index)" }

    /// The Keras activation string for `activation`, or nil when Keras 2 has no string for it
    /// (leaky ReLU, log-softmax, tanh-approximated GELU, step, and parametrised ELU/softplus).
    public static func kerasActivation(_ activation: Activation) -> String? {
        switch activation {
        case .identity: "linear"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .relu: "relu"
        case .softmax: "softmax"
        case .elu(let alpha): alpha == 1 ? "elu" : nil
        case .gelu: "gelu"
        case .silu: "swish"
        case .softplus(let beta): beta == 1 ? "softplus" : nil
        default: nil
        }
    }

    /// Writes `checkpoint`'s weights to `path` (atomically: a temporary file, then a rename),
    /// refusing to overwrite `checkpointPath`.
    public static func write(_ checkpoint: TrainingState, checkpointPath: String, to path: String) throws(TrainingError) {
        try OutputPath.check(path, setting: .output, against: [("the checkpoint", checkpointPath)])
        let architecture = checkpoint.model.architecture, parameters = checkpoint.parameters
        try OutputPath.writeAtomically(to: path) { file throws(HDF5Error) in
            let root = try file.root
            try root.setAttribute("layer_names", architecture.layers.indices.map(layerName))
            try root.setAttribute("backend", backend)
            try root.setAttribute("keras_version", kerasVersion)
            try root.setAttribute("h5train_activations", architecture.layers.map(\.activation.description))
            try root.setAttribute("h5train_checkpoint", checkpointPath)
            for (index, layer) in architecture.layers.enumerated() {
                let name = layerName(index)
                let group = try root.createGroup(name)
                try group.setAttribute("weight_names", ["\(name)/kernel:0", "\(name)/bias:0"])
                let weightStart = architecture.weightOffsets[index], biasStart = architecture.biasOffset(index)
                try group.createDataset("\(name)/kernel:0", shape: [layer.inputs, layer.outputs],
                                        values: Array(parameters[weightStart..<biasStart]))
                try group.createDataset("\(name)/bias:0", shape: [layer.outputs],
                                        values: Array(parameters[biasStart..<(biasStart + layer.outputs)]))
            }
        }
    }
}
