import DataParallel
import Foundation
import NeuralNet

/// The result of a finished run.
public struct TrainingSummary: Sendable {
    public var epochs: [EpochMetrics]
    public var finalParameters: [Float]
    public var checkpointPath: String?
}

/// The training loop: shuffle, gather each batch, one data-parallel step, evaluate, report, checkpoint.
///
/// Buffers reused by every step (allocated once here, never inside the loop):
///
///     batchFeatures  (batchSize × featureCount)   rows gathered in this epoch's order
///     batchTargets   (batchSize × targetWidth)
///     order          (train rows, Int32)          this epoch's permutation
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let data: LoadedData
    public let model: ModelDescription
    public let engine: ParallelTrainer
    private let observer: TrainingObserver

    /// Builds the network and the data-parallel engine; fails on settings the data cannot support.
    public init(configuration: TrainingConfiguration, data: LoadedData, observer: TrainingObserver) throws(TrainingError) {
        try configuration.validate()
        guard configuration.batchSize <= data.train.rows else {
            throw .invalidOption(flag: "--batch-size", message: "\(configuration.batchSize) is larger than the \(data.train.rows) training rows")
        }
        if configuration.earlyStopPatience != nil && data.validation == nil {
            throw .invalidOption(flag: "--early-stop", message: "needs validation data (--val-x/--val-y, --val-data or --val-split)")
        }
        let model = try ModelDescription(configuration: configuration, inputs: data.train.featureCount,
                                         outputs: data.outputSize, task: data.task)
        self.configuration = configuration
        self.data = data
        self.model = model
        self.observer = observer
        let stepsPerEpoch = (data.train.rows + configuration.batchSize - 1) / configuration.batchSize
        engine = ParallelTrainer(
            architecture: model.architecture, loss: model.loss,
            parameters: model.architecture.initialParameters(initializers: model.initializers, seed: configuration.seed),
            optimizer: configuration.optimizer.makeOptimizer(), schedule: configuration.makeSchedule(stepsPerEpoch: stepsPerEpoch),
            plan: ShardPlan(shardSize: configuration.shardSize), workers: configuration.workers,
            maximumBatch: configuration.batchSize)
        engine.health = configuration.health
    }

    public var stepsPerEpoch: Int { (data.train.rows + configuration.batchSize - 1) / configuration.batchSize }

    /// Trains for `configuration.epochs` epochs, writing checkpoints and metrics as configured.
    public func run() throws(TrainingError) -> TrainingSummary {
        let config = configuration
        let metricsFile = try config.metricsPath.map { path throws(TrainingError) in try MetricsFile(path: path) }
        for line in data.notes + model.notes { observer.note(line) }
        observer.note("train: \(config.epochs) epochs × \(stepsPerEpoch) steps, batch \(config.batchSize), \(config.workers) worker\(config.workers == 1 ? "" : "s"), \(engine.optimizer), \(engine.schedule), seed \(config.seed)")

        let train = data.train
        let featureCount = train.featureCount, targetWidth = train.targetWidth, batch = config.batchSize
        var batchFeatures = [Float](repeating: 0, count: batch * featureCount)
        var batchTargets = [Float](repeating: 0, count: batch * targetWidth)
        var order = [Int32](repeating: 0, count: train.rows)
        var history: [EpochMetrics] = []
        var lastFiniteLoss: Double?
        let diagnostics = config.diagnostics ? GradientDiagnostics(architecture: model.architecture) : nil
        var bestValidationLoss = Double.infinity, epochsWithoutImprovement = 0

        for epoch in 1...config.epochs {
            let start = Date()
            Self.fillEpochOrder(&order, seed: config.seed, epoch: epoch)
            var lossSum = 0.0, samplesCounted = 0, skipped = 0
            var learningRate: Float = 0
            diagnostics?.beginEpoch(parameters: engine.parameterValues)
            for stepInEpoch in 0..<stepsPerEpoch {
                let first = stepInEpoch * batch
                let rows = min(batch, train.rows - first)
                Self.gather(train, order: order, from: first, rows: rows, features: &batchFeatures, targets: &batchTargets)
                let result = batchFeatures.withUnsafeBufferPointer { x in
                    batchTargets.withUnsafeBufferPointer { y in
                        engine.trainStep(input: x.baseAddress!, targets: y.baseAddress!, rows: rows)
                    }
                }
                if !result.isFinite || result.nonFiniteGradientLayer != nil {
                    guard config.health.onNonFinite == .skip else { throw Self.nonFiniteError(result, epoch: epoch, engine: engine, lastFiniteLoss: lastFiniteLoss) }
                    skipped += 1
                    continue
                }
                lastFiniteLoss = result.loss
                learningRate = result.learningRate
                lossSum += result.loss * Double(rows)
                samplesCounted += rows
                diagnostics?.record(engine)
                observer.stepFinished(epoch: epoch, stepInEpoch: stepInEpoch + 1, stepsPerEpoch: stepsPerEpoch,
                                      runningLoss: lossSum / Double(samplesCounted))
            }
            let seconds = Date().timeIntervalSince(start)
            var metrics = EpochMetrics(epoch: epoch, step: engine.step, trainLoss: lossSum / Double(max(samplesCounted, 1)),
                                       learningRate: learningRate, samplesPerSecond: Double(train.rows) / seconds,
                                       seconds: seconds)
            if let validation = data.validation {
                let result = evaluate(validation)
                metrics.validationLoss = result.loss
                metrics.validationAccuracy = result.accuracy
                metrics.validationMAE = result.meanAbsoluteError
            }
            history.append(metrics)
            observer.epochFinished(metrics, totalEpochs: config.epochs)
            try metricsFile?.append(metrics)
            if skipped > 0 {
                observer.note("  skipped \(skipped) step\(skipped == 1 ? "" : "s") with a NaN or infinite loss or gradient (--on-nonfinite skip)")
            }
            if let diagnostics {
                for line in diagnostics.report(parameters: engine.parameterValues, probe: train, engine: engine) { observer.note(line) }
            }
            if let path = config.checkpointPath, let every = config.checkpointEvery, epoch % every == 0, epoch < config.epochs {
                try saveCheckpoint(to: path, epoch: epoch)
            }
            if let patience = config.earlyStopPatience, let loss = metrics.validationLoss {
                if loss < bestValidationLoss {
                    (bestValidationLoss, epochsWithoutImprovement) = (loss, 0)
                } else {
                    epochsWithoutImprovement += 1
                }
                if epochsWithoutImprovement >= patience && epoch < config.epochs {
                    observer.note("early stop: validation loss has not improved for \(patience) epoch\(patience == 1 ? "" : "s") (best \(String(format2: bestValidationLoss, 4)))")
                    break
                }
            }
        }
        if let path = config.checkpointPath {
            try saveCheckpoint(to: path, epoch: history.last?.epoch ?? config.epochs)
            observer.note("checkpoint: \(path)")
        }
        return TrainingSummary(epochs: history, finalParameters: engine.parameterValues, checkpointPath: config.checkpointPath)
    }

    /// The error for a step whose loss or gradient was not finite, naming the step and the layer.
    static func nonFiniteError(_ result: StepResult, epoch: Int, engine: ParallelTrainer, lastFiniteLoss: Double?) -> TrainingError {
        let step = engine.step + (result.applied ? 0 : 1)
        if result.isFinite, let layer = result.nonFiniteGradientLayer {
            return .nonFiniteGradient(epoch: epoch, step: step, layer: layer, lastFiniteLoss: lastFiniteLoss)
        }
        return .nonFiniteLoss(epoch: epoch, step: step, lastFiniteLoss: lastFiniteLoss)
    }

    /// Loss and accuracy (or MAE) of the current parameters on `samples`.
    public func evaluate(_ samples: SampleSet) -> Evaluation {
        Evaluation(engine: engine, samples: samples)
    }

    /// Writes the current model and training state atomically to `path`.
    public func saveCheckpoint(to path: String, epoch: Int) throws(TrainingError) {
        let checkpoint = Checkpoint(model: model, normalization: data.normalization, parameters: engine.parameterValues,
                                    optimizerState: engine.optimizerStateValues, epoch: epoch, step: engine.step,
                                    configuration: configuration)
        try checkpoint.write(to: path)
    }

    /// This epoch's sample order: a permutation that depends only on the seed and the epoch number,
    /// so any epoch's order can be recomputed without replaying earlier ones.
    static func fillEpochOrder(_ order: inout [Int32], seed: UInt64, epoch: Int) {
        for i in order.indices { order[i] = Int32(i) }
        var rng = Xoshiro256(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15, stream: "epoch-order")
        rng.shuffle(&order)
    }

    /// Copies the rows `order[from ..< from+rows]` into the batch buffers.
    @inline(__always)
    static func gather(_ samples: SampleSet, order: [Int32], from: Int, rows: Int,
                       features: inout [Float], targets: inout [Float]) {
        let f = samples.featureCount, t = samples.targetWidth
        samples.features.withUnsafeBufferPointer { source in
            features.withUnsafeMutableBufferPointer { destination in
                for r in 0..<rows {
                    let row = Int(order[from + r])
                    (destination.baseAddress! + r * f).update(from: source.baseAddress! + row * f, count: f)
                }
            }
        }
        samples.targets.withUnsafeBufferPointer { source in
            targets.withUnsafeMutableBufferPointer { destination in
                for r in 0..<rows {
                    let row = Int(order[from + r])
                    (destination.baseAddress! + r * t).update(from: source.baseAddress! + row * t, count: t)
                }
            }
        }
    }
}
