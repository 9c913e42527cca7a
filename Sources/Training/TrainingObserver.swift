import DataParallel
import Settings

/// Receives what a training run has to say, as it happens.
public protocol TrainingObserver: AnyObject {
    /// A decision or fact worth telling the user before training starts (task, normalisation, …).
    func note(_ text: SettingText)
    /// Called after optimizer steps within an epoch; may be called often, so keep it cheap.
    func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double)
    func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int)
    /// Called after every step that updated the parameters, with its result; `step` is the global
    /// optimizer step after it. Runs between steps: allocate nothing here.
    func stepApplied(_ result: StepResult, step: Int)
    /// Called after `epochFinished(_:totalEpochs:)`, with the engine, whose parameters and last
    /// gradient can be read (run logs: histograms).
    func epochFinished(_ metrics: EpochMetrics, engine: StepEngine)
}

extension TrainingObserver {
    public func stepApplied(_ result: StepResult, step: Int) {}
    public func epochFinished(_ metrics: EpochMetrics, engine: StepEngine) {}
}

/// Discards all training output.
public final class SilentObserver: TrainingObserver {
    public init() {}
    public func note(_ text: SettingText) {}
    public func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {}
    public func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {}
}
