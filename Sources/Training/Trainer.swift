import Data
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings

/// The result of a finished run.
public struct TrainingSummary: Sendable {
    public var epochs: [EpochMetrics]
    public var finalParameters: [Float]
    public var checkpointPath: String?
}

/// The training loop: each epoch, batches in the sampler's order → one data-parallel step each →
/// observe; then evaluate, report and checkpoint. The policies around the loop (non-finite steps,
/// plateau, early stopping, checkpoints, interrupts) are the small named steps below it.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let data: LoadedData
    public let model: ModelDescription
    public let engine: StepEngine
    /// The learning rate (and cycled momentum) of every step; replaced after each epoch only by
    /// reduce-on-plateau, whose rate depends on what it observed.
    public internal(set) var schedule: any LearningRateSchedule
    /// Where the data came from, stored in checkpoints so a run can be resumed without its flags.
    public var dataOptions: LoaderOptions?
    /// Identity of the training data, stored in checkpoints and compared on resume.
    public let fingerprint: DataFingerprint
    /// Where the run stands; advanced by `run`, written into every checkpoint.
    public internal(set) var progress = TrainingProgress()
    let observer: TrainingObserver
    /// Saves checkpoints; needed when the configuration names a checkpoint path or the run can be interrupted.
    let stateWriter: (any TrainingStateWriter)?
    var sampler: BatchSampler
    /// A streamed run's batches and reader, started at its first step.
    var streamed: StreamedBatches?
    /// The exchange of each batch's rows when the ranks share the training rows, made at the first step.
    var rankRows: BatchRowsExchange?
    /// The last finite batch loss, for the message when a loss or gradient stops being finite.
    private var lastFiniteLoss: Double?

    /// Builds the network and the data-parallel engine; fails on settings the data cannot support.
    ///
    /// - Parameter ranks: the processes the run is spread over (mpirun); every rank builds the same
    ///   trainer from the same settings and data.
    public init(configuration: TrainingConfiguration, data: LoadedData, observer: TrainingObserver,
                stateWriter: (any TrainingStateWriter)? = nil, ranks: Communicator = .single) throws(TrainingError) {
        try configuration.validate()
        precondition(configuration.checkpointPath == nil || stateWriter != nil, "a run that saves checkpoints needs a TrainingStateWriter")
        guard configuration.batchSize <= data.trainingRows else {
            throw .invalidSetting(.batchSize, "\(configuration.batchSize) is larger than the \(data.trainingRows) training rows")
        }
        if configuration.earlyStopPatience != nil && !data.hasValidation {
            throw .invalidSetting(.earlyStop, "needs validation data (\(.validationX)/\(.validationY), \(.validationData) or \(.validationSplit))")
        }
        let model = try ModelDescription(configuration: configuration, inputs: data.train.featureCount,
                                         outputs: data.outputSize, task: data.task)
        try MemoryBudget.checkRun(configuration, architecture: model.architecture, rows: data.trainingRows)
        (self.configuration, self.data, self.model) = (configuration, data, model)
        (self.observer, self.stateWriter) = (observer, stateWriter)
        sampler = BatchSampler(rows: data.trainingRows, batchSize: configuration.batchSize, seed: configuration.seed)
        schedule = configuration.makeSchedule(stepsPerEpoch: sampler.stepsPerEpoch)
        engine = StepEngine(
            architecture: model.architecture, loss: model.loss,
            parameters: model.architecture.initialParameters(initializers: model.initializers, seed: configuration.seed),
            optimizer: configuration.optimizer.makeOptimizer(), plan: ShardPlan(shardSize: configuration.shardSize),
            workers: configuration.workers, maximumBatch: configuration.batchSize, ranks: ranks)
        engine.health = configuration.health
        var dropoutStream = Xoshiro256(seed: configuration.seed, stream: "dropout")
        engine.dropoutSeed = dropoutStream.next()
        fingerprint = data.partition?.fingerprint ?? data.stream?.fingerprint ?? DataFingerprint(data.train)
        progress.window = data.stream?.shape
    }

    /// Continues from a checkpoint's parameters, optimizer state and progress.
    ///
    /// - Parameter path: the checkpoint's file, for messages.
    public func restore(from checkpoint: TrainingState, path: String = "the checkpoint") throws(TrainingError) {
        guard let progress = checkpoint.progress else {
            throw .checkpoint(path: path, message: "holds no training progress; it cannot be resumed")
        }
        guard checkpoint.parameters.count == model.architecture.parameterCount,
              checkpoint.optimizerState.count == engine.optimizer.stateCount * model.architecture.parameterCount else {
            throw .checkpoint(path: path, message: "its parameters or optimizer state do not fit this model and optimizer")
        }
        let (done, overflow) = progress.epoch.multipliedReportingOverflow(by: stepsPerEpoch)
        guard progress.stepInEpoch < stepsPerEpoch, !overflow, checkpoint.step <= done + progress.stepInEpoch else {
            throw .checkpoint(path: path, message: "/progress: step \(progress.stepInEpoch) of epoch \(progress.epoch + 1) (global step \(checkpoint.step)) is not a position in a run of \(stepsPerEpoch) steps per epoch")
        }
        guard progress.window == data.stream?.shape else {
            let order = { (shape: WindowShape?) in shape.map { "streamed in windows of \($0)" } ?? "in memory" }
            throw .checkpoint(path: path, message: "/progress: its run visited rows \(order(progress.window)); this one would visit them \(order(data.stream?.shape)), so it would not continue the same run")
        }
        engine.restore(parameters: checkpoint.parameters, optimizerState: checkpoint.optimizerState, step: checkpoint.step)
        if let snapshot = progress.plateau, let plateau = schedule as? PlateauState {
            schedule = PlateauState(plateau.parameters, restoring: snapshot)
        }
        self.progress = progress
    }

    public var stepsPerEpoch: Int { sampler.stepsPerEpoch }

    /// Trains until `configuration.epochs` epochs are complete, from wherever `progress` stands,
    /// writing checkpoints and metrics as configured.
    ///
    /// - Parameter stop: polled after every step; when set, the run saves a checkpoint and throws
    ///   `TrainingError.interrupted`.
    public func run(stop: StopRequest? = nil) throws(TrainingError) -> TrainingSummary {
        try checkRanksAgree()
        let metricsFile = try openMetricsFile()
        defer { stopStreaming() }
        announce()
        let diagnostics = configuration.diagnostics ? GradientDiagnostics(architecture: model.architecture) : nil
        var stoppedEarly = false
        while progress.epoch < configuration.epochs && !stoppedEarly {
            let epoch = progress.epoch + 1
            diagnostics?.beginEpoch(parameters: engine.parameterValues)
            let metrics = try trainEpoch(epoch, diagnostics: diagnostics, stop: stop)
            try engine.gatherLastGradient()  // whole on every rank, for the observers (nothing for one process)
            stoppedEarly = observeEpoch(metrics, diagnostics: diagnostics)
            do { try metricsFile?.append(metrics) } catch { throw savingRun(after: error, metricsPath: metricsFile?.path ?? "") }
            try saveEpochCheckpoints(epoch: epoch, metrics: metrics, last: epoch == configuration.epochs || stoppedEarly)
            if epoch < configuration.epochs && !stoppedEarly { try saveIfInterrupted(stop, epoch: epoch) }
        }
        if configuration.epochs == 0, let path = configuration.checkpointPath {
            try saveCheckpoint(to: path)  // the initialised model, e.g. to start another framework from it
        }
        if let path = configuration.checkpointPath { observer.note("checkpoint: \(path)") }
        return TrainingSummary(epochs: progress.history, finalParameters: engine.parameterValues,
                               checkpointPath: configuration.checkpointPath)
    }

    /// One epoch: batches → step → observe, from `progress.stepInEpoch` on; then validation.
    /// Returns the epoch's metrics, already recorded in `progress`.
    private func trainEpoch(_ epoch: Int, diagnostics: GradientDiagnostics?, stop: StopRequest?) throws(TrainingError) -> EpochMetrics {
        let start = Date()
        if data.stream == nil { sampler.load(epoch: epoch) }  // a streamed run's order is its windows'
        var rates = (learningRate: schedule.learningRate(atStep: engine.step), momentum: schedule.momentum(atStep: engine.step))
        while progress.stepInEpoch < stepsPerEpoch {
            let rows = sampler.positions(ofStep: progress.stepInEpoch).count
            engine.stopVote = stop?.isRequested ?? false  // across processes, travels with the step's rows
            let result = try trainStep(epoch: epoch, step: progress.stepInEpoch)
            progress.stepInEpoch += 1
            if try acceptStep(result, epoch: epoch, rows: rows) {
                rates = (result.learningRate, result.momentum)
                diagnostics?.record(engine)
            }
            if progress.stepInEpoch < stepsPerEpoch {
                try saveMidEpochCheckpoint()
                try saveIfInterrupted(stop, epoch: epoch)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        var metrics = EpochMetrics(epoch: epoch, step: engine.step,
                                   trainLoss: progress.epochLossSum / Double(max(progress.epochSamples, 1)),
                                   learningRate: rates.learningRate, momentum: rates.momentum,
                                   samplesPerSecond: Double(data.trainingRows) / seconds, seconds: seconds)
        if let result = try evaluateValidation() {
            (metrics.validationLoss, metrics.validationAccuracy, metrics.validationMAE) = (result.loss, result.accuracy, result.meanAbsoluteError)
        }
        return metrics
    }

    /// The non-finite policy: a step whose loss or gradient is NaN or infinite stops the run
    /// (naming the step and layer) or, with `skip`, is counted and left out. Accepted steps add to
    /// the epoch's loss and are reported. Returns whether the step was accepted.
    private func acceptStep(_ result: StepResult, epoch: Int, rows: Int) throws(TrainingError) -> Bool {
        guard result.isFinite && result.nonFiniteGradientLayer == nil else {
            guard configuration.health.onNonFinite == .skip else {
                throw Self.nonFiniteError(result, epoch: epoch, engine: engine, lastFiniteLoss: lastFiniteLoss)
            }
            progress.epochSkipped += 1
            return false
        }
        lastFiniteLoss = result.loss
        progress.epochLossSum += result.loss * Double(rows)
        progress.epochSamples += rows
        observer.stepFinished(epoch: epoch, stepInEpoch: progress.stepInEpoch, stepsPerEpoch: stepsPerEpoch,
                              runningLoss: progress.epochLossSum / Double(progress.epochSamples))
        observer.stepApplied(result, step: engine.step)
        return true
    }

    /// After an epoch: records it, reports it, feeds reduce-on-plateau, prints diagnostics, and
    /// decides early stopping. Returns whether the run stops early.
    private func observeEpoch(_ metrics: EpochMetrics, diagnostics: GradientDiagnostics?) -> Bool {
        let skipped = progress.epochSkipped
        progress.finishEpoch(with: metrics)
        observer.epochFinished(metrics, totalEpochs: configuration.epochs)
        observer.epochFinished(metrics, engine: engine)
        if let note = observePlateau(after: metrics) { observer.note(SettingText(note)) }
        if skipped > 0 {
            let steps = skipped == 1 ? "step" : "steps"
            observer.note("  skipped \(skipped) \(steps) with a NaN or infinite loss or gradient (\(.onNonFinite) skip)")
        }
        if let diagnostics {
            for line in diagnostics.report(parameters: engine.parameterValues, probe: data.probe, engine: engine) { observer.note(line) }
        }
        let stop = progress.earlyStopTriggered(patience: configuration.earlyStopPatience)
        if stop, let patience = configuration.earlyStopPatience, metrics.epoch < configuration.epochs {
            observer.note("early stop: validation loss has not improved for \(patience) epoch\(patience == 1 ? "" : "s") (best \(String(format2: progress.bestValidationLoss, 4)))")
        }
        return stop
    }

    /// The notes before training: data, model, schedule, and the run's shape.
    private func announce() {
        for line in data.notes + model.notes + scheduleNotes { observer.note(line) }
        if progress.epoch > 0 || progress.stepInEpoch > 0 {
            observer.note("resume: after epoch \(progress.epoch), step \(engine.step) (\(progress.stepInEpoch) steps into epoch \(progress.epoch + 1))")
        }
        let workers = configuration.workers
        observer.note("train: \(configuration.epochs) epochs × \(stepsPerEpoch) steps, batch \(configuration.batchSize), \(rankSpread)\(workers) worker\(workers == 1 ? "" : "s")\(rankHosts), \(engine.optimizer), \(schedule), seed \(configuration.seed), kernels \(engine.products)")
    }

    /// The metrics file, rewritten to the rows of the epochs this run's checkpoint holds (none for a
    /// new run), so a resumed run never repeats a row.
    private func openMetricsFile() throws(TrainingError) -> MetricsFile? {
        guard let path = configuration.metricsPath, engine.ranks.isReporting else { return nil }
        let resuming = progress.epoch > 0 || progress.stepInEpoch > 0
        return try MetricsFile(path: path, header: EpochMetrics.csvHeader(momentum: schedulesMomentum),
                               rows: resuming ? metricsHistoryRows : [])
    }

    /// The error for a step whose loss or gradient was not finite, naming the step and the layer.
    static func nonFiniteError(_ result: StepResult, epoch: Int, engine: StepEngine, lastFiniteLoss: Double?) -> TrainingError {
        let step = engine.step + (result.applied ? 0 : 1)
        if result.isFinite, let layer = result.nonFiniteGradientLayer {
            return .nonFiniteGradient(epoch: epoch, step: step, layer: layer, lastFiniteLoss: lastFiniteLoss)
        }
        return .nonFiniteLoss(epoch: epoch, step: step, lastFiniteLoss: lastFiniteLoss)
    }

    /// Loss and accuracy (or MAE) of the current parameters on `samples`.
    public func evaluate(_ samples: SampleSet) -> Evaluation {
        Evaluation(predictor: engine.predictor, samples: samples)
    }
}
