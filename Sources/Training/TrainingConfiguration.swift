import DataParallel
import Foundation
import NeuralNet

/// Every setting of a training run. Defaults are the ones `h5train train --help` documents.
public struct TrainingConfiguration: Sendable {
    /// Widths of the hidden layers, input side first.
    public var hidden: [Int] = [128]
    public var activation: Activation = .relu
    /// nil: the default for the activation (He for ReLU, Glorot for the rest).
    public var initializer: Initializer?
    /// nil: cross-entropy for classification, MSE for regression.
    public var loss: Loss?
    /// Total epochs of the run.
    public var epochs = 10
    public var batchSize = 128
    public var learningRate: Float = 0.05
    public var momentum: Float = 0.9
    public var weightDecay: Float = 0
    public var nesterov = false
    /// Multiply the rate by `lrGamma` every `lrStepEpochs` epochs; nil for a constant rate.
    public var lrStepEpochs: Int?
    public var lrGamma: Float = 0.1
    public var seed: UInt64 = 0
    public var workers = WorkerPool.activeCores
    /// Rows per micro-shard: the unit of parallel work. Changing it changes the float order of the
    /// gradient sums (and so the last bits of the result); the worker count does not.
    public var shardSize = 64
    public var checkpointPath: String?
    public var checkpointEvery: Int?
    public var metricsPath: String?

    public init() {}

    /// Checks ranges a user can get wrong; each error names the flag.
    public func validate() throws(TrainingError) {
        func fail(_ flag: String, _ message: String) -> TrainingError { .invalidOption(flag: flag, message: message) }
        if hidden.contains(where: { $0 < 1 }) { throw fail("--hidden", "layer widths must be positive integers, got \(hidden)") }
        if epochs < 1 { throw fail("--epochs", "must be at least 1, got \(epochs)") }
        if batchSize < 1 { throw fail("--batch-size", "must be at least 1, got \(batchSize)") }
        if !(learningRate.isFinite && learningRate > 0) { throw fail("--lr", "must be a positive number, got \(learningRate)") }
        if !(momentum.isFinite && momentum >= 0 && momentum < 1) { throw fail("--momentum", "must be in [0, 1), got \(momentum)") }
        if !(weightDecay.isFinite && weightDecay >= 0) { throw fail("--weight-decay", "must be ≥ 0, got \(weightDecay)") }
        if workers < 1 { throw fail("--workers", "must be at least 1, got \(workers)") }
        if shardSize < 1 { throw fail("--shard-size", "must be at least 1, got \(shardSize)") }
        if let every = checkpointEvery, every < 1 { throw fail("--checkpoint-every", "must be at least 1 epoch, got \(every)") }
        if checkpointEvery != nil && checkpointPath == nil { throw fail("--checkpoint-every", "needs --checkpoint PATH") }
        if let step = lrStepEpochs, step < 1 { throw fail("--lr-step", "must be at least 1 epoch, got \(step)") }
        if !(lrGamma.isFinite && lrGamma > 0) { throw fail("--lr-gamma", "must be a positive number, got \(lrGamma)") }
        for (flag, path) in [("--checkpoint", checkpointPath), ("--metrics", metricsPath)] {
            guard let path else { continue }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw fail(flag, "the folder \(folder) does not exist; create it first")
            }
        }
        if !activation.isTrainable {
            throw fail("--activation", "step has a zero derivative almost everywhere, so layers before it receive no gradient and cannot learn; use sigmoid, tanh or relu")
        }
    }

    /// The optimizer these settings describe.
    public var optimizer: SGD {
        SGD(momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
    }

    /// The learning-rate schedule, evaluated per optimizer step.
    public func schedule(stepsPerEpoch: Int) -> any LearningRateSchedule {
        guard let epochsPerDecay = lrStepEpochs else { return ConstantSchedule(rate: learningRate) }
        return StepDecaySchedule(rate: learningRate, stepSize: epochsPerDecay * stepsPerEpoch, gamma: lrGamma)
    }
}
