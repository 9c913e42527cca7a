import DataParallel
import Foundation
import NeuralNet

/// The result of a finished run.
public struct TrainingSummary: Sendable {
    public var epochs: [EpochMetrics]
    public var finalParameters: [Float]
    public var checkpointPath: String?
}

/// The training loop: shuffle, one data-parallel step per batch (its workers gather the rows),
/// evaluate, report, checkpoint.
///
/// Buffers reused by every step (allocated once here, never inside the loop):
///
///     order          (train rows, Int32)          this epoch's permutation
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let data: LoadedData
    public let model: ModelDescription
    public let engine: ParallelTrainer
    /// Where the data came from, stored in checkpoints so a run can be resumed without its flags.
    public var dataOptions: LoaderOptions?
    /// Identity of the training data, stored in checkpoints and compared on resume.
    public let fingerprint: DataFingerprint
    /// Where the run stands; advanced by `run`, written into every checkpoint.
    public internal(set) var progress = TrainingProgress()
    let observer: TrainingObserver

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
        var dropoutStream = Xoshiro256(seed: configuration.seed, stream: "dropout")
        engine.dropoutSeed = dropoutStream.next()
        fingerprint = DataFingerprint(data.train)
    }

    /// Continues from a checkpoint's parameters, optimizer state and progress.
    public func restore(from checkpoint: Checkpoint) throws(TrainingError) {
        guard let progress = checkpoint.progress else {
            throw .checkpoint(path: "", message: "holds no training progress; it cannot be resumed")
        }
        guard checkpoint.parameters.count == model.architecture.parameterCount,
              checkpoint.optimizerState.count == engine.optimizer.stateCount * model.architecture.parameterCount else {
            throw .checkpoint(path: "", message: "its parameters or optimizer state do not fit this model and optimizer")
        }
        engine.restore(parameters: checkpoint.parameters, optimizerState: checkpoint.optimizerState, step: checkpoint.step)
        if let snapshot = progress.plateau, let plateau = engine.schedule as? PlateauState {
            engine.schedule = PlateauState(plateau.parameters, restoring: snapshot)
        }
        self.progress = progress
    }

    public var stepsPerEpoch: Int { (data.train.rows + configuration.batchSize - 1) / configuration.batchSize }

    /// Trains until `configuration.epochs` epochs are complete, from wherever `progress` stands,
    /// writing checkpoints and metrics as configured.
    ///
    /// - Parameter stop: polled after every step; when set, the run saves a checkpoint and throws
    ///   `TrainingError.interrupted`.
    public func run(stop: StopRequest? = nil) throws(TrainingError) -> TrainingSummary {
        let config = configuration
        let resuming = progress.epoch > 0 || progress.stepInEpoch > 0
        let metricsFile = try config.metricsPath.map { path throws(TrainingError) in
            try MetricsFile(path: path, header: EpochMetrics.csvHeader(momentum: schedulesMomentum), appending: resuming)
        }
        for line in data.notes + model.notes + scheduleNotes { observer.note(line) }
        if resuming {
            observer.note("resume: after epoch \(progress.epoch), step \(engine.step) (\(progress.stepInEpoch) steps into epoch \(progress.epoch + 1))")
        }
        observer.note("train: \(config.epochs) epochs × \(stepsPerEpoch) steps, batch \(config.batchSize), \(config.workers) worker\(config.workers == 1 ? "" : "s"), \(engine.optimizer), \(engine.schedule), seed \(config.seed), kernels \(engine.products)")

        let train = data.train
        let batch = config.batchSize
        var order = [Int32](repeating: 0, count: train.rows)
        var lastFiniteLoss: Double?
        let diagnostics = config.diagnostics ? GradientDiagnostics(architecture: model.architecture) : nil
        var stoppedEarly = false

        while progress.epoch < config.epochs && !stoppedEarly {
            let epoch = progress.epoch + 1
            let start = Date()
            Self.fillEpochOrder(&order, seed: config.seed, epoch: epoch)
            var learningRate = engine.schedule.learningRate(atStep: engine.step), momentum = engine.schedule.momentum(atStep: engine.step)
            diagnostics?.beginEpoch(parameters: engine.parameterValues)
            while progress.stepInEpoch < stepsPerEpoch {
                let first = progress.stepInEpoch * batch
                let rows = min(batch, train.rows - first)
                let result = Self.trainStep(engine, on: train, order: order, from: first, rows: rows)
                progress.stepInEpoch += 1
                if !result.isFinite || result.nonFiniteGradientLayer != nil {
                    guard config.health.onNonFinite == .skip else {
                        throw Self.nonFiniteError(result, epoch: epoch, engine: engine, lastFiniteLoss: lastFiniteLoss)
                    }
                    progress.epochSkipped += 1
                } else {
                    lastFiniteLoss = result.loss
                    (learningRate, momentum) = (result.learningRate, result.momentum)
                    progress.epochLossSum += result.loss * Double(rows)
                    progress.epochSamples += rows
                    diagnostics?.record(engine)
                    observer.stepFinished(epoch: epoch, stepInEpoch: progress.stepInEpoch, stepsPerEpoch: stepsPerEpoch,
                                          runningLoss: progress.epochLossSum / Double(progress.epochSamples))
                }
                if let every = config.checkpointEverySteps, let path = config.checkpointPath,
                   engine.step % every == 0, progress.stepInEpoch < stepsPerEpoch {
                    try saveCheckpoint(to: path)
                }
                if let stop, stop.isRequested, progress.stepInEpoch < stepsPerEpoch {
                    let path = config.checkpointPath ?? Self.interruptedCheckpointPath
                    try saveCheckpoint(to: path)
                    throw .interrupted(checkpoint: path, epoch: epoch, step: engine.step)
                }
            }
            let seconds = Date().timeIntervalSince(start)
            var metrics = EpochMetrics(epoch: epoch, step: engine.step,
                                       trainLoss: progress.epochLossSum / Double(max(progress.epochSamples, 1)),
                                       learningRate: learningRate, samplesPerSecond: Double(train.rows) / seconds,
                                       seconds: seconds)
            metrics.momentum = momentum
            if let validation = data.validation {
                let result = evaluate(validation)
                metrics.validationLoss = result.loss
                metrics.validationAccuracy = result.accuracy
                metrics.validationMAE = result.meanAbsoluteError
            }
            let skipped = progress.epochSkipped
            progress.finishEpoch(with: metrics)
            observer.epochFinished(metrics, totalEpochs: config.epochs)
            try metricsFile?.append(metrics)
            if let note = observePlateau(after: metrics) { observer.note(note) }
            if skipped > 0 {
                observer.note("  skipped \(skipped) step\(skipped == 1 ? "" : "s") with a NaN or infinite loss or gradient (--on-nonfinite skip)")
            }
            if let diagnostics {
                for line in diagnostics.report(parameters: engine.parameterValues, probe: train, engine: engine) { observer.note(line) }
            }
            stoppedEarly = progress.earlyStopTriggered(patience: config.earlyStopPatience)
            if stoppedEarly, let patience = config.earlyStopPatience, epoch < config.epochs {
                observer.note("early stop: validation loss has not improved for \(patience) epoch\(patience == 1 ? "" : "s") (best \(String(format2: progress.bestValidationLoss, 4)))")
            }
            try saveEpochCheckpoints(epoch: epoch, metrics: metrics, last: epoch == config.epochs || stoppedEarly)
            if let stop, stop.isRequested, epoch < config.epochs, !stoppedEarly {
                let path = config.checkpointPath ?? Self.interruptedCheckpointPath
                try saveCheckpoint(to: path)
                throw .interrupted(checkpoint: path, epoch: epoch, step: engine.step)
            }
        }
        if let path = config.checkpointPath {
            observer.note("checkpoint: \(path)")
        }
        return TrainingSummary(epochs: progress.history, finalParameters: engine.parameterValues, checkpointPath: config.checkpointPath)
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


    /// This epoch's sample order: a permutation that depends only on the seed and the epoch number,
    /// so any epoch's order can be recomputed without replaying earlier ones.
    static func fillEpochOrder(_ order: inout [Int32], seed: UInt64, epoch: Int) {
        for i in order.indices { order[i] = Int32(i) }
        var rng = Xoshiro256(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15, stream: "epoch-order")
        rng.shuffle(&order)
    }

    /// One step of `engine` on the rows `order[from ..< from+rows]` of `samples`; the engine's workers
    /// gather them, each the rows of its own micro-shards.
    static func trainStep(_ engine: ParallelTrainer, on samples: SampleSet, order: [Int32], from: Int, rows: Int) -> StepResult {
        samples.features.withUnsafeBufferPointer { x in
            samples.targets.withUnsafeBufferPointer { y in
                order.withUnsafeBufferPointer { order in
                    // A training set has at least one row, so its buffers' base addresses exist.
                    engine.trainStep(selection: BatchSelection(features: x.baseAddress!, targets: y.baseAddress!,
                                                               rows: UnsafeBufferPointer(rebasing: order[from..<(from + rows)])))
                }
            }
        }
    }
}
