import HDF5
import NeuralNet

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
    /// `--save-best`: the best value of its metric so far (nil before the first epoch).
    public var bestSavedMetric: Double?
    /// Reduce-on-plateau's state, when that schedule is used.
    public var plateau: PlateauState.Snapshot?

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

extension TrainingProgress {
    /// Columns of `/progress/history`, in order.
    static let historyColumns = ["epoch", "step", "train_loss", "val_loss", "val_accuracy", "val_mae", "lr", "samples_per_s", "seconds"]

    func write(to group: Group) throws(HDF5Error) {
        try group.setAttribute("epoch", epoch)
        try group.setAttribute("step_in_epoch", stepInEpoch)
        try group.setAttribute("epoch_loss_sum", epochLossSum)
        try group.setAttribute("epoch_samples", epochSamples)
        try group.setAttribute("epoch_skipped", epochSkipped)
        try group.setAttribute("best_val_loss", bestValidationLoss)
        try group.setAttribute("epochs_without_improvement", epochsWithoutImprovement)
        if let bestSavedMetric { try group.setAttribute("best_saved_metric", bestSavedMetric) }
        if let plateau {
            try group.setAttribute("plateau_best", plateau.best)
            try group.setAttribute("plateau_bad_epochs", plateau.badEpochs)
            try group.setAttribute("plateau_cooldown", plateau.cooldownCounter)
            try group.setAttribute("plateau_lr", plateau.currentRate)
            try group.setAttribute("plateau_epochs", plateau.epochs)
        }
        let nan = Double.nan
        let rows = history.flatMap { m -> [Double] in
            [Double(m.epoch), Double(m.step), m.trainLoss, m.validationLoss ?? nan, m.validationAccuracy ?? nan,
             m.validationMAE ?? nan, Double(m.learningRate), m.samplesPerSecond, m.seconds]
        }
        let table = try group.createDataset("history", shape: [history.count, Self.historyColumns.count], values: rows)
        try table.setAttribute("columns", Self.historyColumns.joined(separator: ","))
    }

    init(group: Group) throws(HDF5Error) {
        self.init()
        epoch = try group.intAttribute("epoch")
        stepInEpoch = try group.intAttribute("step_in_epoch")
        epochLossSum = try group.doubleAttribute("epoch_loss_sum")
        epochSamples = try group.intAttribute("epoch_samples")
        epochSkipped = try group.intAttribute("epoch_skipped")
        bestValidationLoss = try group.doubleAttribute("best_val_loss")
        epochsWithoutImprovement = try group.intAttribute("epochs_without_improvement")
        bestSavedMetric = group.hasAttribute("best_saved_metric") ? try group.doubleAttribute("best_saved_metric") : nil
        if group.hasAttribute("plateau_lr") {
            plateau = PlateauState.Snapshot(
                best: try group.doubleAttribute("plateau_best"), badEpochs: try group.intAttribute("plateau_bad_epochs"),
                cooldownCounter: try group.intAttribute("plateau_cooldown"), currentRate: try group.doubleAttribute("plateau_lr"),
                epochs: try group.intAttribute("plateau_epochs"))
        }
        let table = try group.dataset("history")
        let values = try table.read(Double.self)
        let width = Self.historyColumns.count
        func optional(_ x: Double) -> Double? { x.isNaN ? nil : x }
        history = stride(from: 0, to: values.count - width + 1, by: width).map { start in
            let v = values[start..<(start + width)].map { $0 }
            return EpochMetrics(epoch: Int(v[0]), step: Int(v[1]), trainLoss: v[2], validationLoss: optional(v[3]),
                                validationAccuracy: optional(v[4]), validationMAE: optional(v[5]),
                                learningRate: Float(v[6]), samplesPerSecond: v[7], seconds: v[8])
        }
    }
}
