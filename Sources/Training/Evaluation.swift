import Data
import DataParallel
import NeuralNet
import Optimizers

/// Loss and quality of a model on a sample set.
public struct Evaluation: Sendable, Equatable {
    public var rows: Int
    /// Mean loss per sample (weighted by class, Σ w_t·ℓ / Σ w_t, with cross-entropy class weights).
    public var loss: Double
    /// Fraction of rows classified correctly (classification), else nil.
    public var accuracy: Double?
    /// Mean absolute error per output value (regression), else nil.
    public var meanAbsoluteError: Double?
    /// Mean squared error per output value (regression), else nil.
    public var meanSquaredError: Double?

    /// Evaluates `predictor`'s parameters on `samples` using all its workers.
    public init(predictor: Predictor, samples: SampleSet) {
        // Rows are converted and normalised chunk by chunk, in the predictor's own chunks.
        let sums = samples.matrix.withRows { x in
            samples.targets.withUnsafeBufferPointer { y in
                predictor.evaluate(features: x, targets: y.baseAddress!, rows: samples.rows)
            }
        }
        self.init(predictor: predictor, sums: sums)
    }

    /// The loss and quality that `sums` of `predictor`'s evaluation give.
    public init(predictor: Predictor, sums: Predictor.EvaluationSums) {
        rows = sums.rows
        loss = sums.weightSum > 0 ? sums.lossSum / sums.weightSum : 0
        if predictor.loss.usesClassIndices {
            accuracy = Double(sums.correct) / Double(max(sums.rows, 1))
        } else {
            let values = Double(max(sums.rows * predictor.architecture.outputSize, 1))
            meanAbsoluteError = sums.absoluteErrorSum / values
            meanSquaredError = sums.squaredErrorSum / values
        }
    }
}
