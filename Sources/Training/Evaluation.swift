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

    /// Evaluates `predictor`'s parameters on a validation set of which this rank holds `part`
    /// (`samples` are those rows; nil: all of them): the bits of evaluating the whole set.
    /// Across processes a collective.
    public init(predictor: Predictor, samples: SampleSet, part: ValidationPart?) {
        guard let part else {
            self.init(predictor: predictor, samples: samples)
            return
        }
        self.init(predictor: predictor, sums: Self.sums(predictor, held: samples, first: part.rows.lowerBound, rows: part.totalRows))
    }

    /// `predictor`'s sums over `rows` rows (added to `total`) of which this rank holds those from
    /// `first` on, as `held` (possibly none: a rank with no chunks of them still takes part in the all-gather).
    static func sums(_ predictor: Predictor, held: SampleSet, first: Int, rows: Int) -> Predictor.EvaluationSums {
        held.targets.withUnsafeBufferPointer { y in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 1) { none in
                sums(predictor, features: held.matrix, targets: y.baseAddress ?? UnsafePointer(none.baseAddress!),
                     first: first, rows: rows, continuing: Predictor.EvaluationSums())
            }
        }
    }

    /// As `sums(_:held:first:rows:)`, with the held rows' features and a pointer to their targets.
    static func sums(_ predictor: Predictor, features: FeatureMatrix, targets: UnsafePointer<Float>, first: Int, rows: Int,
                     continuing total: Predictor.EvaluationSums) -> Predictor.EvaluationSums {
        guard features.rows > 0 else {
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: 1) { none in
                predictor.evaluate(features: FeatureRows(float32: none.baseAddress!, featureCount: features.featureCount),
                                   targets: targets, rows: rows, continuing: total, heldFrom: first)
            }
        }
        return features.withRows { x in
            predictor.evaluate(features: x, targets: targets, rows: rows, continuing: total, heldFrom: first)
        }
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
