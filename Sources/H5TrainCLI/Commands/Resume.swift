import Checkpoint
import Data
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings
import Training

/// `train --resume`: rebuild a run from its checkpoint, apply only the flags that may change.
extension Train {
    /// Flags that never change what a resumed run computes.
    static let resumeSafeFlags: Set<String> = [
        "--resume", "--override", "--epochs", "--workers", "--checkpoint", "--checkpoint-every",
        "--checkpoint-every-steps", "--keep-last", "--save-best", "--metrics", "--quiet", "--tensorboard", "--plot",
        "--kernels", "--isa",  // may differ from the run so far: resume warns that the last bits may then differ
        // The data may have moved; its fingerprint must still match.
        "--data", "--x", "--y", "--val-data", "--val-x", "--val-y",
        // A streamed run keeps the window shape its checkpoint stores, whatever the budget.
        "--memory-budget",
    ]

    /// Flags `--override` may apply on resume.
    static let overridableFlags: Set<String> = [
        "--lr", "--momentum", "--dampening", "--nesterov", "--weight-decay", "--beta1", "--beta2", "--eps",
        "--alpha", "--rho", "--lr-decay", "--momentum-decay", "--clip-norm", "--clip-value", "--on-nonfinite",
        "--diagnostics", "--early-stop",
    ]

    /// Copies the setting of one overridable `flag` from `flags` into `configuration`.
    static func applyOverride(_ flag: String, to configuration: inout TrainingConfiguration, from flags: TrainingConfiguration) {
        switch flag {
        case "--lr": configuration.learningRate = flags.learningRate
        case "--momentum": configuration.optimizer.momentum = flags.optimizer.momentum
        case "--dampening": configuration.optimizer.dampening = flags.optimizer.dampening
        case "--nesterov": configuration.optimizer.nesterov = flags.optimizer.nesterov
        case "--weight-decay": configuration.optimizer.weightDecay = flags.optimizer.weightDecay
        case "--beta1": configuration.optimizer.beta1 = flags.optimizer.beta1
        case "--beta2": configuration.optimizer.beta2 = flags.optimizer.beta2
        case "--eps": configuration.optimizer.eps = flags.optimizer.eps
        case "--alpha": configuration.optimizer.alpha = flags.optimizer.alpha
        case "--rho": configuration.optimizer.rho = flags.optimizer.rho
        case "--lr-decay": configuration.optimizer.lrDecay = flags.optimizer.lrDecay
        case "--momentum-decay": configuration.optimizer.momentumDecay = flags.optimizer.momentumDecay
        case "--clip-norm": configuration.health.clipNorm = flags.health.clipNorm
        case "--clip-value": configuration.health.clipValue = flags.health.clipValue
        case "--on-nonfinite": configuration.health.onNonFinite = flags.health.onNonFinite
        case "--diagnostics": configuration.diagnostics = flags.diagnostics
        case "--early-stop": configuration.earlyStopPatience = flags.earlyStopPatience
        default: break
        }
    }

    /// The long flags on the command line (`--lr=0.1` counts as `--lr`).
    static func givenFlags(_ arguments: [String] = CommandLine.arguments) -> Set<String> {
        Set(arguments.filter { $0.hasPrefix("--") }.map { String($0.split(separator: "=", maxSplits: 1)[0]) })
    }

    /// The checkpoint's data sources, with the files and datasets the data flags name instead.
    private func resumedSource(_ stored: LoaderOptions, given: Set<String>) -> LoaderOptions {
        var source = stored
        if let file = data.data { source.train.file = file }
        if given.contains("--x") { source.train.x = data.x }
        if given.contains("--y") { source.train.y = data.y }
        if var validation = source.validation {
            if let file = data.valData { validation.file = file } else if let file = data.data { validation.file = file }
            if let x = data.valX { validation.x = x }
            if let y = data.valY { validation.y = y }
            source.validation = validation
        }
        return source
    }

    func resumedTrainer(from path: String, observers: ObserverList, ranks: Communicator = .single) throws -> Trainer {
        let checkpoint = try TrainingState.read(from: path)
        guard var configuration = checkpoint.configuration, let stored = checkpoint.data, checkpoint.progress != nil else {
            throw TrainingError.checkpoint(path: path, message: "holds no training progress (it was not written by h5train train), so it cannot be resumed")
        }
        let given = Self.givenFlags()
        let changing = given.subtracting(Self.resumeSafeFlags).sorted()
        if !changing.isEmpty {
            let fixed = changing.filter { !Self.overridableFlags.contains($0) }
            guard options.checkpoints.override, fixed.isEmpty else {
                let message = fixed.isEmpty
                    ? "would change the resumed run; remove them, or add --override to apply them"
                    : "cannot change on resume (the model, data preparation, optimizer kind, schedule, batch and seed are fixed by the checkpoint)\(options.checkpoints.override ? "" : "; remove them")"
                throw UsageError(message: (options.checkpoints.override ? fixed : changing).joined(separator: ", ") + ": " + message)
            }
        }
        let flags = try options.trainingConfiguration
        for flag in changing { Self.applyOverride(flag, to: &configuration, from: flags) }
        if given.contains("--epochs") { configuration.epochs = options.epochs }
        if given.contains("--workers") { configuration.workers = flags.workers }
        configuration.checkpointPath = options.checkpoints.checkpoint ?? path
        if given.contains("--checkpoint-every") { configuration.checkpointEvery = options.checkpoints.checkpointEvery }
        if given.contains("--checkpoint-every-steps") { configuration.checkpointEverySteps = options.checkpoints.checkpointEverySteps }
        if given.contains("--keep-last") { configuration.keepLast = options.checkpoints.keepLast }
        if given.contains("--save-best") { configuration.saveBest = flags.saveBest }
        configuration.metricsPath = options.metrics
        try configuration.validate()

        var source = resumedSource(stored, given: given)
        // A run that streamed continues in its windows; one that did not, in memory.
        let window = checkpoint.progress?.window
        (source.memory, source.windowShape, source.batchSize) = (window == nil ? .inMemory : memory.request, window, configuration.batchSize)
        source.memoryShare = try MemoryShare.agreed(by: ranks)
        let loaded = try DatasetLoader.load(source, ranks: ranks)
        let reporter = ConsoleReporter.automatic(quiet: options.quiet || !ranks.isReporting, spelling: \.flag)
        observers.add(reporter)
        let trainer = try Trainer(configuration: configuration, data: loaded, observer: observers, stateWriter: CheckpointWriter(),
                                  ranks: ranks)
        if let expected = checkpoint.fingerprint, trainer.fingerprint != expected {
            throw TrainingError.invalidData(file: source.train.file, dataset: source.train.x,
                               message: "is not the data this run was trained on (checkpoint: \(expected); now: \(trainer.fingerprint)); resume with the same data and preparation")
        }
        trainer.dataOptions = source
        try trainer.restore(from: checkpoint, path: path)
        if let trained = checkpoint.kernels, trained != trainer.engine.products.description {
            reporter.note(SettingText("resume: warning: the run so far trained on the kernels \(trained); this one runs \(trainer.engine.products), so it may differ from an uninterrupted run in the last bits (--kernels and --isa choose them)"))
        }
        if options.checkpoints.override && !changing.isEmpty {
            reporter.note(SettingText("resume: --override applies \(changing.joined(separator: ", "))"))
        }
        return trainer
    }
}
