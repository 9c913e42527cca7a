import Optimizers

/// The metric `save_best` keeps the best checkpoint by.
public enum BestMetric: String, Sendable, CaseIterable {
    case validationLoss = "val_loss"
    case validationAccuracy = "val_accuracy"
    case trainLoss = "train_loss"

    func value(in metrics: EpochMetrics) -> Double? {
        switch self {
        case .validationLoss: metrics.validationLoss
        case .validationAccuracy: metrics.validationAccuracy
        case .trainLoss: metrics.trainLoss
        }
    }

    var higherIsBetter: Bool { self == .validationAccuracy }
}
