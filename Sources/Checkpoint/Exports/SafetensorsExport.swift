import Foundation
import NeuralNet
import Optimizers
import Settings
import Training

/// Writes a checkpoint's parameters as a PyTorch `state_dict` in the safetensors format, for a
/// `torch.nn.Sequential` of `Linear` layers each followed by its activation module, so layer i's
/// tensors are `"\(2i).weight"` (outputs × inputs) and `"\(2i).bias"` (outputs).
///
/// The format (https://github.com/huggingface/safetensors), as the reference writer lays it out:
///
///     8 bytes   N, the header's length, unsigned little-endian
///     N bytes   JSON: {"__metadata__":{…},"0.bias":{"dtype":"F32","shape":[16],"data_offsets":[0,64]},…}
///               tensors sorted by name, compact, padded with spaces to a multiple of 8 bytes
///     data      each tensor's float32 values, little-endian, row-major, at its offsets (relative to
///               the end of the header), back to back in the header's order
///
/// The metadata (string values only) records the activations and the normalisation, which the
/// state_dict cannot hold; `PyTorchModuleSource` writes the Python that rebuilds the module.
public enum SafetensorsExport {
    /// One named tensor of the state_dict.
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
    }

    /// The Sequential index of layer `index`'s `Linear` (each is followed by one activation module).
    public static func moduleIndex(ofLayer index: Int) -> Int { 2 * index }

    /// The state_dict's tensors, sorted by name (the order the reference writer stores them in).
    public static func tensors(of checkpoint: TrainingState) -> [Tensor] {
        let architecture = checkpoint.model.architecture
        let parameters = architecture.pytorchOrder(checkpoint.parameters)
        var tensors: [Tensor] = []
        for (index, layer) in architecture.layers.enumerated() {
            let prefix = "\(moduleIndex(ofLayer: index))."
            let weightStart = architecture.weightOffsets[index], biasStart = architecture.biasOffset(index)
            tensors.append(Tensor(name: prefix + "weight", shape: [layer.outputs, layer.inputs],
                                  values: Array(parameters[weightStart..<biasStart])))
            tensors.append(Tensor(name: prefix + "bias", shape: [layer.outputs],
                                  values: Array(parameters[biasStart..<(biasStart + layer.outputs)])))
        }
        return tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// The metadata stored under `__metadata__`: h5train's activations and normalisation.
    public static func metadata(of checkpoint: TrainingState) -> [(String, String)] {
        [("format", "pt"),
         ("h5train_activations", checkpoint.model.architecture.layers.map(\.activation.description).joined(separator: ",")),
         ("h5train_normalization", checkpoint.normalization.description),
         ("h5train_task", checkpoint.model.task.rawValue)]
    }

    /// The header JSON, padded with spaces to a multiple of 8 bytes.
    public static func header(_ tensors: [Tensor], metadata: [(String, String)]) -> String {
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.0 < $1.0 }.map { "\(OrderedJSON.quoted($0.0)):\(OrderedJSON.quoted($0.1))" }
            members.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for tensor in tensors {
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            members.append("\(OrderedJSON.quoted(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        let json = "{" + members.joined(separator: ",") + "}"
        return json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
    }

    /// The whole file: header length, header, data.
    public static func encode(_ tensors: [Tensor], metadata: [(String, String)]) -> [UInt8] {
        precondition(tensors.allSatisfy { $0.values.count == $0.shape.reduce(1, *) }, "a tensor's values do not fill its shape")
        let header = Array(header(tensors, metadata: metadata).utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + 4 * tensors.reduce(0) { $0 + $1.values.count })
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for tensor in tensors {
            for value in tensor.values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        return bytes
    }

    /// Writes `checkpoint`'s state_dict to `path` (atomically), refusing to overwrite `checkpointPath`.
    public static func write(_ checkpoint: TrainingState, checkpointPath: String, to path: String) throws(TrainingError) {
        try ExportFile.write(encode(tensors(of: checkpoint), metadata: metadata(of: checkpoint)),
                             to: path, setting: .output, checkpointPath: checkpointPath)
    }

    /// The Python file written beside `path`: `m.safetensors` → `m.py`, any other name → name + `.py`.
    public static func scriptPath(for path: String) -> String {
        (path.hasSuffix(".safetensors") ? String(path.dropLast(".safetensors".count)) : path) + ".py"
    }

    /// Writes the module's Python source (atomically), refusing to overwrite `checkpointPath`.
    public static func writeScript(_ source: String, to path: String, checkpointPath: String) throws(TrainingError) {
        try ExportFile.write(text: source, to: path, setting: .output, checkpointPath: checkpointPath)
    }
}
