import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings

/// Every setting of a training run. Defaults are the ones the train command's help documents.
public struct TrainingConfiguration: Sendable {
    /// Widths of the hidden layers, input side first.
    public var hidden: [Int] = [128]
    public var activation: Activation = .relu
    /// One activation per hidden layer, overriding `activation` (`hidden 512:relu,256:tanh`).
    public var hiddenActivations: [Activation]?
    /// Dropout probability on every hidden layer's output during training (0: none).
    public var dropout: Float = 0
    /// nil: the default for the activation (He for ReLU, Glorot for the rest).
    public var initializer: Initializer?
    /// nil: cross-entropy for classification, MSE for regression.
    public var loss: Loss?
    /// Cross-entropy label smoothing ε in [0, 1): target (1 − ε)·onehot + ε/K (`label_smoothing`).
    public var labelSmoothing: Float = 0
    /// Cross-entropy class weights, one per class (`class_weights`); the batch loss is
    /// Σ w_t·ℓ / Σ w_t, as PyTorch's `weight=`. nil: every class weighs 1.
    public var classWeights: [Float]?
    /// Total epochs of the run.
    public var epochs = 10
    public var batchSize = 128
    /// The base (or, for cycling schedules, peak) learning rate; nil: the optimizer's default.
    public var learningRate: Float?
    public var optimizer = OptimizerSettings()
    public var schedule = ScheduleSettings()
    public var seed: UInt64 = 0
    public var workers = WorkerPool.activeCores
    /// Rows per micro-shard: the unit of parallel work. Changing it changes the float order of the
    /// gradient sums (and so the last bits of the result); the worker count does not.
    public var shardSize = 64

    /// The shard size the command line uses unless told otherwise: a quarter of the batch, within
    /// 64…256 rows. Four shards keep up to four workers busy in the forward and backward passes;
    /// larger shards mean fewer, larger products (each shard re-reads every weight matrix), which
    /// made batch 512 about 5 % faster with 128-row shards than with 64. A function of the batch
    /// size alone, so a configuration's result never depends on the machine.
    public static func defaultShardSize(batchSize: Int) -> Int {
        min(256, max(64, batchSize / 4))
    }
    /// Gradient clipping and the NaN/Inf policy.
    public var health = GradientHealthSettings()
    /// Print per-layer gradient health after every epoch.
    public var diagnostics = false
    /// Stop after this many epochs without a better validation loss.
    public var earlyStopPatience: Int?
    public var checkpointPath: String?
    /// Also write the checkpoint every this many optimizer steps (mid-epoch).
    public var checkpointEverySteps: Int?
    /// Keep this many numbered end-of-epoch checkpoints beside `checkpointPath`.
    public var keepLast: Int?
    /// Keep the checkpoint with the best value of this metric as `NAME.best.h5`.
    public var saveBest: BestMetric?
    public var checkpointEvery: Int?
    public var metricsPath: String?

    public init() {}

    /// Checks ranges a user can get wrong; each error names the flag.
    public func validate() throws(TrainingError) {
        func fail(_ setting: Setting, _ message: SettingText) -> TrainingError { .invalidSetting(setting, message) }
        if hidden.contains(where: { $0 < 1 }) { throw fail(.hidden, "layer widths must be positive integers, got \(hidden)") }
        if epochs < 0 { throw fail(.epochs, "must be at least 0 (0 saves the initial model), got \(epochs)") }
        if epochs == 0 && checkpointPath == nil { throw fail(.epochs, "0 trains nothing and saves the initial model; it needs \(.checkpoint) PATH") }
        if batchSize < 1 { throw fail(.batchSize, "must be at least 1, got \(batchSize)") }
        if !(dropout >= 0 && dropout < 1) { throw fail(.dropout, "must be in [0, 1), got \(dropout)") }
        if !(labelSmoothing >= 0 && labelSmoothing < 1) { throw fail(.labelSmoothing, "must be in [0, 1), got \(labelSmoothing)") }
        if let weights = classWeights {
            if weights.isEmpty { throw fail(.classWeights, "needs one weight per class, got none") }
            if let bad = weights.first(where: { !($0.isFinite && $0 >= 0) }) {
                throw fail(.classWeights, "weights must be finite and non-negative, got \(bad)")
            }
            if weights.allSatisfy({ $0 == 0 }) { throw fail(.classWeights, "at least one weight must be positive, got all zeros") }
        }
        if let rate = learningRate, !(rate.isFinite && rate > 0) { throw fail(.learningRate, "must be a positive number, got \(rate)") }
        try optimizer.validate()
        if let norm = health.clipNorm, !(norm.isFinite && norm > 0) { throw fail(.clipNorm, "must be a positive number, got \(norm)") }
        if let value = health.clipValue, !(value.isFinite && value > 0) { throw fail(.clipValue, "must be a positive number, got \(value)") }
        if let patience = earlyStopPatience, patience < 1 { throw fail(.earlyStop, "must be at least 1 epoch, got \(patience)") }
        try schedule.validate(optimizer: optimizer)
        if workers < 1 { throw fail(.workers, "must be at least 1, got \(workers)") }
        if shardSize < 1 { throw fail(.shardSize, "must be at least 1, got \(shardSize)") }
        if let every = checkpointEvery, every < 1 { throw fail(.checkpointEvery, "must be at least 1 epoch, got \(every)") }
        if let every = checkpointEverySteps, every < 1 { throw fail(.checkpointEverySteps, "must be at least 1 step, got \(every)") }
        if let keep = keepLast, keep < 1 { throw fail(.keepLast, "must be at least 1, got \(keep)") }
        for (setting, given) in [(Setting.checkpointEverySteps, checkpointEverySteps != nil), (.keepLast, keepLast != nil),
                                 (.saveBest, saveBest != nil)] where given && checkpointPath == nil {
            throw fail(setting, "needs \(.checkpoint) PATH")
        }
        if checkpointEvery != nil && checkpointPath == nil { throw fail(.checkpointEvery, "needs \(.checkpoint) PATH") }
        try checkOutputsWritable()
        if let overrides = hiddenActivations {
            if overrides.count != hidden.count { throw fail(.hidden, "\(overrides.count) activations for \(hidden.count) layers") }
            if let bad = overrides.first(where: { !$0.isTrainable }) {
                throw fail(.hidden, "\(bad) has a zero derivative almost everywhere, so layers before it receive no gradient and cannot learn")
            }
        }
        if !activation.isTrainable {
            throw fail(.activation, "step has a zero derivative almost everywhere, so layers before it receive no gradient and cannot learn; use sigmoid, tanh or relu")
        }
    }

    /// The activation of each hidden layer.
    public var resolvedHiddenActivations: [Activation] { hiddenActivations ?? hidden.map { _ in activation } }

    /// The learning rate the run uses: `lr`, or the optimizer's default.
    public var resolvedLearningRate: Float { learningRate ?? optimizer.defaultLearningRate }

    /// The learning-rate schedule, evaluated per optimizer step.
    public func makeSchedule(stepsPerEpoch: Int) -> any LearningRateSchedule {
        schedule.makeSchedule(rate: resolvedLearningRate, stepsPerEpoch: stepsPerEpoch, totalSteps: max(epochs, 1) * stepsPerEpoch,  // 0 epochs take no step
                               batchSize: batchSize)
    }
}
