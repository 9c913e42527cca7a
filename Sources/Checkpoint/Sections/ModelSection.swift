import Data
import HDF5
import NeuralNet
import Settings

/// The checkpoint's /model group: the architecture, and each dense layer's weight and bias in
/// PyTorch's order (weight outputs × inputs).
///
///     /model                   input_size, layer_sizes (L+1), activations "relu,relu,softmax"
///     /model/dense_<i>/weight  float32 (outputs × inputs), as PyTorch's Linear.weight
///     /model/dense_<i>/bias    float32 (outputs)
enum ModelSection {
    /// Writes `architecture` and `parameters`, which are in the file's (PyTorch's) order.
    static func write(_ architecture: NetworkArchitecture, parameters: [Float], to group: Group) throws(HDF5Error) {
        try group.setAttribute("input_size", architecture.inputSize)
        try group.setAttribute("layer_sizes", [architecture.inputSize] + architecture.layers.map(\.outputs))
        try group.setAttribute("activations", architecture.layers.map(\.activation.description).joined(separator: ","))
        for (index, layer) in architecture.layers.enumerated() {
            let dense = try group.createGroup("dense_\(index)")
            let weightStart = architecture.weightOffsets[index], biasStart = architecture.biasOffset(index)
            _ = try dense.createDataset("weight", shape: [layer.outputs, layer.inputs],
                                        values: Array(parameters[weightStart..<biasStart]))
            _ = try dense.createDataset("bias", shape: [layer.outputs],
                                        values: Array(parameters[biasStart..<(biasStart + layer.outputs)]))
        }
    }

    /// The architecture and its parameters in the file's (PyTorch's) order; throws a checkpoint
    /// error naming what does not describe a network.
    static func read(_ group: Group, file: File, path: String) throws -> (NetworkArchitecture, [Float]) {
        func invalid(_ message: String) -> TrainingError { .checkpoint(path: path, message: message) }
        let sizes = try group.intArrayAttribute("layer_sizes")
        let activationNames = try group.stringAttribute("activations").split(separator: ",").map(String.init)
        guard sizes.count >= 2, activationNames.count == sizes.count - 1, sizes.allSatisfy({ $0 > 0 }) else {
            throw invalid("/model: layer_sizes \(sizes) and activations \(activationNames) do not describe a network")
        }
        let count = zip(sizes, sizes.dropFirst()).map { MemoryBudget.product([$0 + 1, $1]) }
        guard !count.contains(where: { $0 == nil }), let total = MemoryBudget.sum(count.compactMap { $0 }),
              let bytes = MemoryBudget.product([total, 4]), bytes <= MemoryBudget.available else {
            throw invalid("/model: layer_sizes \(sizes) describe a network whose parameters cannot fit in memory (\(MemoryBudget.limitText))")
        }
        var layers: [LayerSpec] = []
        for (index, name) in activationNames.enumerated() {
            guard let activation = Activation(name: name) else { throw invalid("/model: unknown activation '\(name)'") }
            layers.append(LayerSpec(inputs: sizes[index], outputs: sizes[index + 1], activation: activation))
        }
        let architecture = NetworkArchitecture(layers: layers)
        var parameters: [Float] = []
        parameters.reserveCapacity(architecture.parameterCount)
        for (index, layer) in layers.enumerated() {
            let weight = try file.dataset("model/dense_\(index)/weight"), bias = try file.dataset("model/dense_\(index)/bias")
            guard weight.shape == [layer.outputs, layer.inputs], bias.shape == [layer.outputs] else {
                throw invalid("/model/dense_\(index): weight \(weight.shape) or bias \(bias.shape) does not match \(layer.inputs)→\(layer.outputs)")
            }
            parameters += try weight.read(Float.self)
            parameters += try bias.read(Float.self)
        }
        return (architecture, parameters)
    }
}
