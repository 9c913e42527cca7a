import Data
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import Settings
import Training

/// The checkpoint file's name and version, stored on its root group.
public enum CheckpointFormat {
    public static let name = "h5train-checkpoint"
    /// 2: `content_checksum` covers every value that changes the model or the resumed run.
    /// 1: `checksum` covers the parameters and optimizer state only; such files still load.
    public static let version = 2
    /// The versions this h5train reads.
    public static let readable = 1...2
}

/// A trained model and its training state in one HDF5 file (layout: docs/checkpoint-format.md).
///
///     /                      format, format_version, task, loss, epoch, step
///     /model                 input_size, layer_sizes (L+1), activations "relu,relu,softmax"
///     /model/dense_<i>/weight  float32 (outputs × inputs), as PyTorch's Linear.weight
///     /model/dense_<i>/bias    float32 (outputs)
///     /normalization         kind (none|scale|standardize), factor; mean, std float32 (features)
///     /training              every hyper-parameter of the run as attributes; ranks, hosts
///     /optimizer/state       float32 (k × parameters) when the optimizer keeps state (momentum)
///     /progress              position in the run (epoch, step in epoch, loss accumulators, early
///                            stopping) and /progress/history, one row of metrics per epoch
///     /data                  where the data came from, how it was prepared, and its fingerprint
/// The root's `checksum` (FNV-1a 64 of the parameter and optimizer-state bytes, in the file's order)
/// is verified on read.
///
/// In memory, parameters and optimizer state are in NetworkArchitecture's layout (each W inputs ×
/// outputs); the file keeps PyTorch's order (each W outputs × inputs) for both, so files do not depend
/// on how the engine lays out its buffers.
extension TrainingState {
    /// Writes the checkpoint to a temporary file in the same folder, then renames it over `path`,
    /// so an existing checkpoint is replaced whole or not at all.
    public func write(to path: String) throws(TrainingError) {
        do {
            // Serialised: a streamed run's reader thread may be reading its data meanwhile.
            try HDF5Library.serialized { () throws(AtomicFile.Failure) in
                try AtomicFile.write(to: path) { (temporary: String) throws(HDF5Error) in try writeContents(to: temporary) }
            }
        } catch {
            throw .checkpoint(path: path, message: error.description)
        }
    }

    /// Everything but the atomic rename; the file is closed when this returns.
    private func writeContents(to path: String) throws(HDF5Error) {
        let file = try File.create(path)
        let root = try file.root
        try root.setAttribute("format", CheckpointFormat.name)
        try root.setAttribute("format_version", CheckpointFormat.version)
        try root.setAttribute("task", model.task.rawValue)
        try root.setAttribute("loss", model.loss.description)
        try root.setAttribute("epoch", epoch)
        try root.setAttribute("step", step)
        if let kernels { try root.setAttribute("kernels", kernels) }

        let architecture = model.architecture
        // The file's order (each W outputs × inputs), for the datasets and the checksum alike.
        let fileParameters = architecture.pytorchOrder(parameters)
        let fileState = architecture.pytorchOrder(optimizerState)
        try ModelSection.write(architecture, parameters: fileParameters, to: try file.createGroup("model"))
        try NormalizationSection.write(normalization, to: try file.createGroup("normalization"))
        var storedState = self  // as the file will give it back, for the content checksum
        if let configuration {
            let group = try file.createGroup("training")
            try configuration.writeAttributes(to: group)
            if let spread { try SpreadSection.write(spread, to: group) }
            storedState.configuration = try TrainingConfiguration(attributesOf: group)
        }
        if !fileState.isEmpty {
            let group = try file.createGroup("optimizer")
            let count = fileState.count / architecture.parameterCount
            _ = try group.createDataset("state", shape: [count, architecture.parameterCount], values: fileState)
        }
        if let progress {
            let group = try file.createGroup("progress")
            try progress.write(to: group)
            storedState.progress = try TrainingProgress(group: group)
        }
        if data != nil || fingerprint != nil {
            let group = try file.createGroup("data")
            try data?.write(to: group)
            try fingerprint?.write(to: group)
        }
        try root.setAttribute("checksum", String(Self.checksum(fileParameters, fileState), radix: 16))
        try root.setAttribute("content_checksum", String(ContentDigest.of(storedState, loss: model.loss.description), radix: 16))
        try file.flush()
    }

    /// Reads a checkpoint, refusing files of another format or version with a message saying why.
    public static func read(from path: String) throws(TrainingError) -> TrainingState {
        do {
            return try readContents(path)
        } catch let error as TrainingError {
            throw error
        } catch let error as HDF5Error {
            throw .checkpoint(path: path, message: Self.withoutPath(error.description, path))
        } catch {
            throw .checkpoint(path: path, message: "\(error)")
        }
    }

    /// The checksum the file stores: over the parameters and optimizer state in the file's order.
    public var fileChecksum: UInt64 {
        Self.checksum(model.architecture.pytorchOrder(parameters), model.architecture.pytorchOrder(optimizerState))
    }

    /// FNV-1a 64 over the bit patterns of the parameters, then the optimizer state.
    static func checksum(_ parameters: [Float], _ state: [Float]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for values in [parameters, state] {
            for value in values {
                var bits = value.bitPattern
                for _ in 0..<4 {
                    hash = (hash ^ UInt64(bits & 0xFF)) &* 0x0000_0100_0000_01B3
                    bits >>= 8
                }
            }
        }
        return hash
    }

    /// An HDF5 message without its leading "PATH:" (the checkpoint error names the path already).
    private static func withoutPath(_ message: String, _ path: String) -> String {
        message.hasPrefix(path + ":") ? String(message.dropFirst(path.count + 1)).trimmingCharacters(in: .whitespaces) : message
    }

    private static func readContents(_ path: String) throws -> TrainingState {
        let file = try File.open(path)
        let root = try file.root
        guard root.hasAttribute("format"), try root.stringAttribute("format") == CheckpointFormat.name else {
            throw TrainingError.checkpoint(path: path, message: "not an h5train checkpoint (no format=\"\(CheckpointFormat.name)\" attribute on /)")
        }
        let version = try root.intAttribute("format_version")
        guard CheckpointFormat.readable.contains(version) else {
            throw TrainingError.checkpoint(path: path, message: "format version \(version) is not supported by this h5train (it reads versions \(CheckpointFormat.readable.lowerBound)–\(CheckpointFormat.readable.upperBound)); use the h5train release that wrote it")
        }
        func invalid(_ message: String) -> TrainingError { .checkpoint(path: path, message: message) }
        guard let task = TaskKind(rawValue: try root.stringAttribute("task")) else { throw invalid("unknown task") }
        let lossName = try root.stringAttribute("loss")
        guard let loss = Loss(name: lossName) else { throw invalid("unknown loss") }

        let (architecture, parameters) = try ModelSection.read(try file.group("model"), file: file, path: path)
        let normalization = try NormalizationSection.read(try file.group("normalization"), features: architecture.inputSize, path: path)
        let optimizerState = file.contains("optimizer/state") ? try file.dataset("optimizer/state").read(Float.self) : []
        guard optimizerState.count % architecture.parameterCount == 0 else {
            throw invalid("/optimizer/state: \(optimizerState.count) values are not whole buffers of \(architecture.parameterCount) parameters")
        }
        let stored = root.hasAttribute("checksum") ? try root.stringAttribute("checksum") : ""
        guard stored == String(checksum(parameters, optimizerState), radix: 16) else {
            throw invalid("the checksum of its parameters and optimizer state does not match (stored \(stored.isEmpty ? "none" : stored)); the file is damaged — use an earlier checkpoint")
        }
        let configuration = file.contains("training") ? try TrainingConfiguration(attributesOf: try file.group("training")) : nil
        // Cross-entropy's smoothing and class weights live in /training; evaluation uses them too.
        var trainedLoss = loss
        if let configuration, case .softmaxCrossEntropy = loss {
            if let weights = configuration.classWeights, weights.count != architecture.outputSize {
                throw invalid("/training: class_weights has \(weights.count) values for \(architecture.outputSize) classes")
            }
            trainedLoss = loss.withCrossEntropyOptions(configuration.crossEntropyOptions)
        }
        let model = ModelDescription(architecture: architecture, loss: trainedLoss, task: task,
                                     initializers: architecture.layers.map { Initializer.defaultFor($0.activation) })
        var checkpoint = TrainingState(model: model, normalization: normalization,
                                    parameters: architecture.internalOrder(fromPyTorch: parameters),
                                    optimizerState: architecture.internalOrder(fromPyTorch: optimizerState),
                                    epoch: try root.intAttribute("epoch"), step: try root.intAttribute("step"),
                                    configuration: configuration)
        if file.contains("progress") { checkpoint.progress = try TrainingProgress(group: try file.group("progress")) }
        if file.contains("data") {
            let group = try file.group("data")
            if group.hasAttribute("train_file") { checkpoint.data = try LoaderOptions(group: group, seed: configuration?.seed ?? 0) }
            if group.hasAttribute("hash") { checkpoint.fingerprint = try DataFingerprint(group: group) }
        }
        if root.hasAttribute("kernels") { checkpoint.kernels = try root.stringAttribute("kernels") }
        if file.contains("training") { checkpoint.spread = try SpreadSection.read(try file.group("training"), path: path) }
        try checkpoint.checkPosition(path: path)
        if version >= 2 {
            let stored = root.hasAttribute("content_checksum") ? try root.stringAttribute("content_checksum") : ""
            guard stored == String(ContentDigest.of(checkpoint, loss: lossName), radix: 16) else {
                throw invalid("the checksum of its contents (model, normalisation, settings, progress) does not match (stored \(stored.isEmpty ? "none" : stored)); the file is damaged or was edited — use an earlier checkpoint")
            }
        }
        return checkpoint
    }
}

extension TrainingState {
    /// Refuses a position in the run that no run can be at: negative counts, or progress that
    /// disagrees with the root's epoch. (Whether the step fits the data is checked on resume.)
    func checkPosition(path: String) throws(TrainingError) {
        func invalid(_ message: String) -> TrainingError { .checkpoint(path: path, message: message) }
        guard epoch >= 0, step >= 0 else { throw invalid("/: epoch \(epoch) and step \(step) must be at least 0") }
        guard let progress else { return }
        let counts = [("epoch", progress.epoch), ("step_in_epoch", progress.stepInEpoch), ("epoch_samples", progress.epochSamples),
                      ("epoch_skipped", progress.epochSkipped), ("epochs_without_improvement", progress.epochsWithoutImprovement)]
        if let (name, value) = counts.first(where: { $0.1 < 0 }) {
            throw invalid("/progress: \(name) is \(value); it must be at least 0")
        }
        guard progress.epoch == epoch else {
            throw invalid("/progress: epoch \(progress.epoch) disagrees with the root's epoch \(epoch)")
        }
    }
}
