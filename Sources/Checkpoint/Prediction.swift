import Data
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import Settings
import Training

/// What `h5train predict` does: apply a checkpoint's model to every row of an HDF5 dataset and write
/// the outputs to a new HDF5 file.
///
/// X is read `chunkRows` rows at a time (an HDF5 hyperslab), normalised as stored in the checkpoint
/// and run through the network on all workers, so memory holds one chunk of inputs plus the outputs.
/// The result is bit-for-bit the same for any `chunkRows` and `workers`, and the same as `evaluate`'s
/// forward pass: chunks are rounded up to whole multiples of the engine's evaluation chunk (see
/// ``Checkpoint/alignedChunkRows(_:)``), so every matrix product sees the same rows.
public struct PredictionJob: Sendable {
    /// The checkpoint whose model and normalisation are applied.
    public var checkpointPath: String
    /// The HDF5 file and dataset of inputs (rows first; trailing dimensions are flattened).
    public var dataFile: String
    public var dataset: String
    /// The HDF5 file to write (`out`); never the input file or the checkpoint.
    public var outputPath: String
    /// Worker threads; they change the speed, not the result.
    public var workers: Int
    /// Rows read and predicted per chunk (`batch_size`), before rounding up to a multiple of
    /// `Predictor.chunkRows`.
    public var chunkRows: Int

    public init(checkpointPath: String, dataFile: String, dataset: String, outputPath: String,
                workers: Int = WorkerPool.activeCores, chunkRows: Int = 4096) {
        self.checkpointPath = checkpointPath
        self.dataFile = dataFile
        self.dataset = dataset
        self.outputPath = outputPath
        self.workers = workers
        self.chunkRows = chunkRows
    }

    /// Checks the flags before anything is read: positive counts, and an output path that is neither
    /// the input data nor the checkpoint and whose folder exists.
    public func validate() throws(TrainingError) {
        if workers < 1 { throw .invalidSetting(.workers, "must be at least 1, got \(workers)") }
        if chunkRows < 1 { throw .invalidSetting(.batchSize, "must be at least 1 row, got \(chunkRows)") }
        try OutputPath.check(outputPath, setting: .output, against: [("the input data file", dataFile), ("the checkpoint", checkpointPath)])
    }

    /// Reads the checkpoint, predicts every row and writes the output file; returns what was written.
    public func run() throws(TrainingError) -> PredictionOutput {
        try validate()
        let checkpoint = try TrainingState.read(from: checkpointPath)
        try checkpoint.checkEngineFits(workers: workers)
        let output = try checkpoint.predict(file: dataFile, dataset: dataset, predictor: checkpoint.makePredictor(workers: workers),
                                            chunkRows: chunkRows)
        try output.write(to: outputPath, attributes: [
            ("checkpoint", checkpointPath), ("source_file", dataFile), ("source_dataset", dataset),
            ("task", checkpoint.model.task.rawValue), ("loss", checkpoint.model.loss.description),
            ("normalization", checkpoint.normalization.description),
        ])
        return output
    }
}

/// A model's outputs for every row of a dataset.
public struct PredictionOutput: Sendable, Equatable {
    /// Classification (probabilities and classes) or regression (predictions).
    public var task: TaskKind
    /// Rows of the input dataset, all predicted.
    public var rows: Int
    /// Columns of ``values``: the class count, or the regression output width.
    public var width: Int
    /// rows × width: class probabilities (classification, each row sums to 1) or predictions.
    public var values: [Float]
    /// The most probable class of each row (the first on ties); empty for regression.
    public var classes: [Int64]

    /// Writes `probabilities` (rows × classes, float32) and `classes` (rows, int64), or `predictions`
    /// (rows × outputs, float32), with `attributes` as string attributes of the root, to a temporary
    /// file in the same folder that is then renamed over `path`.
    public func write(to path: String, attributes: [(String, String)]) throws(TrainingError) {
        try OutputPath.writeAtomically(to: path) { file throws(HDF5Error) in
            let root = try file.root
            try root.setAttribute("format", "h5train-predictions")
            for (name, value) in attributes { try root.setAttribute(name, value) }
            try root.setAttribute("rows", rows)
            if task == .classification {
                try root.createDataset("probabilities", shape: [rows, width], values: values)
                try root.createDataset("classes", shape: [rows], values: classes)
            } else {
                try root.createDataset("predictions", shape: [rows, width], values: values)
            }
        }
    }
}

extension TrainingState {
    /// `rows` rounded up to a whole number of `Predictor.chunkRows`s (256 rows).
    ///
    /// The engine runs its forward passes on 256-row blocks, and BLAS may round a row's products
    /// differently depending on how many rows share a matrix product. Chunks made of whole blocks
    /// cut the data into the same blocks as a single call does, whatever `batch_size` is.
    public static func alignedChunkRows(_ rows: Int) -> Int {
        let unit = Predictor.chunkRows
        let (aligned, overflow) = ((max(rows, 1) - 1) / unit + 1).multipliedReportingOverflow(by: unit)
        return overflow ? Int.max / unit * unit : aligned
    }

    /// Predicts every row of `dataset` in `file`, reading and computing about `chunkRows` rows at a
    /// time (rounded up by ``alignedChunkRows(_:)``).
    public func predict(file path: String, dataset name: String, predictor: Predictor,
                        chunkRows: Int) throws(TrainingError) -> PredictionOutput {
        precondition(predictor.architecture == model.architecture, "the predictor holds another network than this checkpoint")
        let inputs = model.architecture.inputSize, width = model.architecture.outputSize
        let chunk = Self.alignedChunkRows(chunkRows)
        let source: Dataset
        do {
            source = try File.open(path).dataset(name)
        } catch {
            throw .hdf5(error.description)
        }
        let (rows, _) = try FeatureChecks.rowsAndFeatures(of: source.shape, file: path, dataset: name)
        guard source.elementsPerRow == inputs else {
            throw .invalidData(file: path, dataset: name,
                               message: "has \(source.elementsPerRow) features per row (shape \(source.shape)); the checkpoint's model takes \(inputs)")
        }
        try MemoryBudget.checkPredictions(rows: rows, outputs: width, file: path, dataset: name)
        var values = [Float](repeating: 0, count: rows * width)
        for start in stride(from: 0, to: rows, by: chunk) {
            let range = start..<(rows - start > chunk ? start + chunk : rows)
            var features: [Float]
            do {
                features = try source.read(Float.self, rows: range)
            } catch {
                throw .hdf5(error.description)
            }
            try FeatureChecks.requireFinite(features, features: inputs, firstRow: start, file: path, dataset: name)
            normalization.apply(to: &features, featureCount: inputs)
            let outputs = predictions(normalized: features, rows: range.count, predictor: predictor)
            values.replaceSubrange(range.lowerBound * width..<range.upperBound * width, with: outputs)
        }
        let classes = model.task == .classification
            ? values.withUnsafeBufferPointer { v in (0..<rows).map { r in Int64(argmax(v.baseAddress! + r * width, count: width)) } }
            : []
        return PredictionOutput(task: model.task, rows: rows, width: width, values: values, classes: classes)
    }

    /// The outputs for `rows` already-normalised feature rows: class probabilities for classification
    /// (the softmax output as is, a log-softmax output exponentiated, anything else put through a
    /// softmax), the last layer's outputs for regression.
    public func predictions(normalized features: [Float], rows: Int, predictor: Predictor) -> [Float] {
        precondition(predictor.architecture == model.architecture && features.count == rows * model.architecture.inputSize,
                     "features or predictor do not fit this checkpoint's network")
        let width = model.architecture.outputSize
        var outputs = [Float](repeating: 0, count: rows * width)
        features.withUnsafeBufferPointer { x in
            outputs.withUnsafeMutableBufferPointer { y in
                guard let input = x.baseAddress, let output = y.baseAddress else { return }
                predictor.predict(input: input, rows: rows, into: output)
            }
        }
        guard model.task == .classification else { return outputs }
        switch model.architecture.layers[model.architecture.layers.count - 1].activation {
        case .softmax: break
        case .logSoftmax: for i in outputs.indices { outputs[i] = exp(outputs[i]) }
        default: Activation.softmax.apply(&outputs, rows: rows, columns: width)
        }
        return outputs
    }
}
