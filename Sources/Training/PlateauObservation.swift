import NeuralNet
import Optimizers
import Settings

/// The training loop's side of the learning-rate schedule: what to say about it before training,
/// and feeding reduce-on-plateau, the one schedule that depends on observations.
extension Trainer {
    /// Whether the engine's schedule replaces the optimizer's momentum at every step (cyclic and
    /// onecycle with momentum cycling): the epoch line and the metrics file then show it.
    public var schedulesMomentum: Bool { schedule.momentum(atStep: 0) != nil }

    /// Lines to print before training: batch scaling, momentum cycling, the metric plateau watches.
    public var scheduleNotes: [SettingText] {
        var notes = configuration.schedule.notes(rate: configuration.resolvedLearningRate, batchSize: configuration.batchSize,
                                                 optimizer: configuration.optimizer)
        if let plateau = schedule as? PlateauState {
            notes.append("plateau: watches the \(plateauMetricName) after every epoch; lr × \(plateau.parameters.factor) after \(plateau.parameters.patience + 1) epochs without a relative improvement of \(plateau.parameters.threshold)")
        }
        return notes
    }

    /// After an epoch: gives reduce-on-plateau the epoch's validation loss (the training loss
    /// without validation data) and installs the updated state in the engine, so the next step
    /// uses the new rate. Does nothing for the other schedules.
    ///
    /// - Returns: a note when the rate was reduced.
    public func observePlateau(after metrics: EpochMetrics) -> String? {
        guard var plateau = schedule as? PlateauState else { return nil }
        let before = plateau.currentRate
        let reduced = plateau.observe(metric: metrics.validationLoss ?? metrics.trainLoss)
        schedule = plateau
        guard reduced else { return nil }
        return "  plateau: the \(plateauMetricName) has not improved on \(String(format2: plateau.best, 4)) for \(plateau.parameters.patience + 1) epochs; lr \(Float(before)) → \(Float(plateau.currentRate))"
    }

    private var plateauMetricName: String { !data.hasValidation ? "training loss" : "validation loss" }
}
