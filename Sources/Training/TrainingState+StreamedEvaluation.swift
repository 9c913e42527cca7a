import Data
import DataParallel
import NeuralNet
import Settings

extension Evaluation {
    /// Rows per block when evaluating from a file: whole chunks of the predictor's (so the sums are
    /// the bits of evaluating all rows at once), about 4 MiB of stored features.
    static func blockRows(rowBytes: Int) -> Int {
        Predictor.chunkRows * max(1, (4 << 20) / max(1, Predictor.chunkRows * rowBytes))
    }

    /// Evaluates `predictor` on `samples`, reading their features a block at a time: the bits of
    /// evaluating them all at once in memory.
    public static func blockwise(_ samples: StreamedSamples, predictor: Predictor, blockRows: Int? = nil) throws(TrainingError) -> Evaluation {
        let rows = blockRows ?? Self.blockRows(rowBytes: samples.featureCount * samples.type.bytes)
        precondition(rows % Predictor.chunkRows == 0, "evaluation blocks are whole chunks")
        var sums = Predictor.EvaluationSums()
        // Across processes each rank reads only the rows of each block that it evaluates.
        try samples.forEachEvaluatedBlock(blockRows: rows, predictor: predictor) { block, first, count, heldFrom in
            samples.targets.withUnsafeBufferPointer { targets in
                sums = Evaluation.sums(predictor, features: block, targets: targets.baseAddress! + (first + heldFrom) * samples.targetWidth,
                                       first: heldFrom, rows: count, continuing: sums)
            }
        }
        return Evaluation(predictor: predictor, sums: sums)
    }
}

extension TrainingState {
    /// Loss and quality of this model on the features and targets of `source`, reading the
    /// features a block of rows at a time in their stored type (only the targets are read whole):
    /// the same bits as evaluating `loadSamples(source)`.
    public func evaluate(_ source: DataSource, predictor: Predictor, blockRows: Int? = nil) throws(TrainingError) -> Evaluation {
        let x = try DatasetLoader.openFeatures(source)
        let inputs = model.architecture.inputSize
        guard x.featureCount == inputs else {
            throw .invalidData(file: source.file, dataset: source.x,
                               message: "has \(x.featureCount) features per row (shape \(x.shape)); the checkpoint's model takes \(inputs)")
        }
        let y = try targets(source, rows: x.rows)
        let samples = StreamedSamples(source: source, rows: x.rows, featureCount: inputs, type: x.type, targets: y.values,
                                      targetWidth: y.targetWidth, normalization: normalization)
        return try Evaluation.blockwise(samples, predictor: predictor, blockRows: blockRows)
    }
}
