import Data
import DataParallel
import NeuralNet
import Optimizers

/// Where a run stands, beyond the parameters and optimizer state: enough to continue it exactly.
///
/// The sample order of every epoch is a pure function of (seed, epoch), so the position within an
/// epoch is all that is needed to continue it; the loss accumulators make the resumed epoch report
/// the same training loss as an uninterrupted one.
public struct TrainingProgress: Sendable, Equatable {
    /// Epochs completed.
    public var epoch = 0
    /// Optimizer steps already taken in the current (unfinished) epoch; 0 at an epoch boundary.
    public var stepInEpoch = 0
    /// Σ loss·rows and rows over the current epoch's steps so far.
    public var epochLossSum = 0.0
    public var epochSamples = 0
    public var epochSkipped = 0
    /// Early stopping: best validation loss so far, and epochs since it improved.
    public var bestValidationLoss = Double.infinity
    public var epochsWithoutImprovement = 0
    /// One entry per completed epoch.
    public var history: [EpochMetrics] = []
    /// `save_best`: the best value of its metric so far (nil before the first epoch).
    public var bestSavedMetric: Double?
    /// Reduce-on-plateau's state, when that schedule is used.
    public var plateau: PlateauState.Snapshot?
    /// A streamed run's window shape (rows per block, blocks per window), which with the seed fixes
    /// its sample order; nil for a run whose data was in memory (`BatchSampler`'s order).
    public var window: WindowShape?

    public init() {}

    /// Closes the current epoch: records its metrics, updates early-stopping state, resets the
    /// per-epoch accumulators.
    mutating func finishEpoch(with metrics: EpochMetrics) {
        history.append(metrics)
        epoch = metrics.epoch
        (stepInEpoch, epochLossSum, epochSamples, epochSkipped) = (0, 0, 0, 0)
        if let loss = metrics.validationLoss {
            if loss < bestValidationLoss {
                (bestValidationLoss, epochsWithoutImprovement) = (loss, 0)
            } else {
                epochsWithoutImprovement += 1
            }
        }
    }

    /// Whether early stopping with `patience` should end the run now.
    func earlyStopTriggered(patience: Int?) -> Bool {
        guard let patience else { return false }
        return epochsWithoutImprovement >= patience
    }

    /// Whether `value` beats the best so far of `metric` (and records it if so).
    mutating func isBest(_ value: Double, for metric: BestMetric) -> Bool {
        let better = bestSavedMetric.map { metric.higherIsBetter ? value > $0 : value < $0 } ?? true
        if better { bestSavedMetric = value }
        return better
    }
}
