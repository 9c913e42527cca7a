import Data
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import Settings
import Training

/// What `h5train inspect` shows about a checkpoint, as a readable table (``text``) or one JSON object
/// (``json``) with the same facts under snake_case keys, in a fixed order.
///
/// It is a pure formatter: build it from a checkpoint that ``Checkpoint/read(from:)`` accepted, which
/// means the checksum of the parameters and optimizer state has been verified.
public struct CheckpointSummary: Sendable {
    /// The best value of a validation metric over the run's history, and the epoch that reached it.
    public struct Best: Sendable, Equatable {
        /// The metric's value.
        public var value: Double
        /// The (1-based) epoch whose validation reached it first.
        public var epoch: Int
    }

    /// Where the checkpoint was read from.
    public var path: String
    /// The checkpoint summarised.
    public var checkpoint: TrainingState

    /// Summarises `checkpoint`, read from `path`.
    public init(_ checkpoint: TrainingState, path: String) {
        self.checkpoint = checkpoint
        self.path = path
    }

    /// The checksum of the parameters and optimizer state in hexadecimal, as stored in the file.
    public var checksum: String { String(checkpoint.fileChecksum, radix: 16) }

    /// The completed epochs' metrics, oldest first (empty without stored progress).
    public var history: [EpochMetrics] { checkpoint.progress?.history ?? [] }

    /// The lowest validation loss of the history (the first epoch reaching it on ties).
    public var bestValidationLoss: Best? { best(\.validationLoss, higherIsBetter: false) }
    /// The highest validation accuracy of the history (classification).
    public var bestValidationAccuracy: Best? { best(\.validationAccuracy, higherIsBetter: true) }
    /// The lowest validation mean absolute error of the history (regression).
    public var bestValidationMAE: Best? { best(\.validationMAE, higherIsBetter: false) }

    /// Optimizer steps per epoch, when the checkpoint knows the training rows and the batch size.
    public var stepsPerEpoch: Int? {
        guard let rows = checkpoint.fingerprint?.rows, let batch = checkpoint.configuration?.batchSize, batch > 0 else { return nil }
        return (rows + batch - 1) / batch
    }

    private func best(_ metric: KeyPath<EpochMetrics, Double?>, higherIsBetter: Bool) -> Best? {
        var found: Best?
        for metrics in history {
            guard let value = metrics[keyPath: metric], value.isFinite else { continue }
            if let current = found, higherIsBetter ? value <= current.value : value >= current.value { continue }
            found = Best(value: value, epoch: metrics.epoch)
        }
        return found
    }
}

// MARK: - The facts, shared by the table and the JSON

extension CheckpointSummary {
    /// The optimizer's settings that its update rule uses, with defaults resolved, in a fixed order.
    static func optimizerFields(_ settings: OptimizerSettings) -> [(String, OrderedJSON)] {
        settings.kind.hyperparameters.map { parameter in
            switch parameter.value(in: settings) {
            case .number(let value): (parameter.key, .number(value))
            case .flag(let on): (parameter.key, .bool(on))
            }
        }
    }

    /// The schedule's parameters that matter for its kind, then warm-up and batch scaling if used.
    static func scheduleFields(_ s: ScheduleSettings) -> [(String, OrderedJSON)] {
        func optionalInt(_ value: Int?) -> OrderedJSON { value.map { .int($0) } ?? .null }
        func optionalNumber(_ value: Double?) -> OrderedJSON { value.map { .number($0) } ?? .null }
        let momentumCycle: [(String, OrderedJSON)] = [("cycle_momentum", .bool(s.cycleMomentum)),
                                                     ("base_momentum", optionalNumber(s.baseMomentum)),
                                                     ("max_momentum", optionalNumber(s.maxMomentum))]
        var fields: [(String, OrderedJSON)]
        switch s.kind {
        case .step: fields = [("step_epochs", .int(s.stepEpochs ?? 1)), ("gamma", .number(s.resolvedGamma))]
        case .multistep: fields = [("milestones", .array(s.milestones.map { .int($0) })), ("gamma", .number(s.resolvedGamma))]
        case .exponential: fields = [("gamma", .number(s.resolvedGamma))]
        case .polynomial: fields = [("power", .number(s.power))]
        case .linear: fields = [("start_factor", .number(s.startFactor)), ("end_factor", .number(s.endFactor)),
                                 ("total_epochs", .int(s.totalEpochs))]
        case .cosine: fields = [("t_max_epochs", optionalInt(s.tMaxEpochs)), ("eta_min", .number(s.etaMin))]
        case .cosineRestarts: fields = [("t0_epochs", optionalInt(s.t0Epochs)), ("t_mult", .int(s.tMult)), ("eta_min", .number(s.etaMin))]
        case .cyclic:
            fields = [("base_lr", optionalNumber(s.baseRate)), ("step_size_up", .int(s.stepSizeUp)),
                      ("step_size_down", optionalInt(s.stepSizeDown)), ("mode", .string(s.cyclicMode)),
                      ("gamma", .number(s.resolvedGamma))] + momentumCycle
        case .onecycle:
            fields = [("pct_start", .number(s.pctStart)), ("anneal_strategy", .string(s.anneal)), ("div_factor", .number(s.divFactor)),
                      ("final_div_factor", .number(s.finalDivFactor)), ("three_phase", .bool(s.threePhase))] + momentumCycle
        case .plateau:
            fields = [("factor", .number(s.factor)), ("patience", .int(s.patience)), ("threshold", .number(s.threshold)),
                      ("cooldown", .int(s.cooldown)), ("min_lr", .number(s.minRate))]
        case .constant: fields = []
        }
        if let steps = s.warmupSteps { fields.append(("warmup_steps", .int(steps))) }
        if let epochs = s.warmupEpochs { fields.append(("warmup_epochs", .int(epochs))) }
        if s.hasWarmup { fields.append(("warmup_start_factor", .number(s.warmupStartFactor))) }
        if let reference = s.batchScalingReference { fields.append(("lr_batch_reference", .int(reference))) }
        return fields
    }

    /// `value` as its shortest decimal form (0.05, not 0.05000000074505806).
    static func number(_ value: Float) -> OrderedJSON { .number(Double("\(value)") ?? Double(value)) }
}

// MARK: - JSON

extension CheckpointSummary {
    /// Everything ``text`` shows, as one JSON object with snake_case keys in a fixed order; values a
    /// checkpoint does not hold (no progress, no data source) are `null`.
    public var json: OrderedJSON {
        let c = checkpoint, architecture = c.model.architecture
        let layers: [OrderedJSON] = architecture.layers.enumerated().map { index, layer in
            .object([("name", .string("dense_\(index)")), ("inputs", .int(layer.inputs)), ("outputs", .int(layer.outputs)),
                     ("activation", .string(layer.activation.description)), ("parameters", .int(layer.parameterCount))])
        }
        var members: [(String, OrderedJSON)] = [
            ("path", .string(path)), ("format", .string(CheckpointFormat.name)), ("format_version", .int(CheckpointFormat.version)),
            ("checksum", .string(checksum)), ("checksum_ok", .bool(true)), ("kernels", c.kernels.map { .string($0) } ?? .null),
            ("task", .string(c.model.task.rawValue)), ("loss", .string(c.model.loss.description)),
            ("architecture", .object([("input_size", .int(architecture.inputSize)), ("output_size", .int(architecture.outputSize)),
                                      ("layers", .array(layers))])),
            ("parameter_count", .int(architecture.parameterCount)),
            ("optimizer_state_buffers", .int(c.optimizerState.count / max(architecture.parameterCount, 1))),
            ("epoch", .int(c.epoch)), ("step", .int(c.step)),
            ("step_in_epoch", .int(c.progress?.stepInEpoch ?? 0)), ("steps_per_epoch", stepsPerEpoch.map { .int($0) } ?? .null),
        ]
        members.append(("hyperparameters", c.configuration.map(hyperparametersJSON) ?? .null))
        members.append(("normalization", normalizationJSON))
        members.append(("last_epoch", history.last.map(Self.metricsJSON) ?? .null))
        func bestJSON(_ best: Best?) -> OrderedJSON { best.map { .object([("value", .number($0.value)), ("epoch", .int($0.epoch))]) } ?? .null }
        members.append(("best_validation", .object([("loss", bestJSON(bestValidationLoss)), ("accuracy", bestJSON(bestValidationAccuracy)),
                                                   ("mae", bestJSON(bestValidationMAE))])))
        members.append(("early_stopping", c.progress.map {
            .object([("best_val_loss", .number($0.bestValidationLoss)), ("epochs_without_improvement", .int($0.epochsWithoutImprovement))])
        } ?? .null))
        members.append(("data", dataJSON))
        return .object(members)
    }

    private func hyperparametersJSON(_ configuration: TrainingConfiguration) -> OrderedJSON {
        .object([
            ("epochs", .int(configuration.epochs)), ("batch_size", .int(configuration.batchSize)),
            ("learning_rate", Self.number(configuration.resolvedLearningRate)),
            ("optimizer", .object([("name", .string(configuration.optimizer.kind.rawValue))] + Self.optimizerFields(configuration.optimizer))),
            ("schedule", .object([("name", .string(configuration.schedule.kind.rawValue))] + Self.scheduleFields(configuration.schedule))),
            ("hidden", .array(configuration.hidden.map { .int($0) })), ("activation", .string(configuration.activation.description)),
            ("hidden_activations", .array(configuration.resolvedHiddenActivations.map { .string($0.description) })),
            ("init", .string(configuration.initializer?.description ?? "default")),
            ("seed", .unsigned(configuration.seed)), ("shard_size", .int(configuration.shardSize)),
            ("workers", .int(configuration.workers)),
            ("ranks", checkpoint.spread.map { .int($0.ranks) } ?? .null),
            ("hosts", checkpoint.spread.map { .array($0.hosts.map { .string($0) }) } ?? .null),
        ])
    }

    private var normalizationJSON: OrderedJSON {
        switch checkpoint.normalization {
        case .none: .object([("kind", .string("none"))])
        case .scale(let factor): .object([("kind", .string("scale")), ("factor", Self.number(factor))])
        case .standardize(let mean, _): .object([("kind", .string("standardize")), ("features", .int(mean.count))])
        }
    }

    static func metricsJSON(_ m: EpochMetrics) -> OrderedJSON {
        func optional(_ value: Double?) -> OrderedJSON { value.map { .number($0) } ?? .null }
        return .object([("epoch", .int(m.epoch)), ("step", .int(m.step)), ("train_loss", .number(m.trainLoss)),
                        ("val_loss", optional(m.validationLoss)), ("val_accuracy", optional(m.validationAccuracy)),
                        ("val_mae", optional(m.validationMAE)), ("lr", number(m.learningRate)),
                        ("samples_per_s", .number(m.samplesPerSecond)), ("seconds", .number(m.seconds))])
    }

    private var dataJSON: OrderedJSON {
        func source(_ s: DataSource?) -> OrderedJSON {
            s.map { .object([("file", .string($0.file)), ("x", .string($0.x)), ("y", .string($0.y))]) } ?? .null
        }
        let fingerprint: OrderedJSON = checkpoint.fingerprint.map {
            .object([("rows", .int($0.rows)), ("features", .int($0.featureCount)), ("target_width", .int($0.targetWidth)),
                     ("hash", .string(String($0.hash, radix: 16)))])
        } ?? .null
        guard let data = checkpoint.data else { return .object([("fingerprint", fingerprint)]) }
        return .object([("train", source(data.train)), ("validation", source(data.validation)),
                        ("val_split", .number(data.validationSplit)), ("task", .string(data.task?.rawValue ?? "inferred")),
                        ("normalize", .string(data.normalize.rawValue)), ("fingerprint", fingerprint)])
    }
}

// MARK: - Table

extension CheckpointSummary {
    /// A two-column table for people: one fact per line, a label, then its value; settings spelled
    /// by `spelling`.
    public func text(naming spelling: (Setting) -> String) -> String {
        let rows = tableRows(naming: spelling)
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { label, value in label.padding(toLength: width + 2, withPad: " ", startingAt: 0) + value }
            .joined(separator: "\n") + "\n"
    }

    private func tableRows(naming spelling: (Setting) -> String) -> [(String, String)] {
        let c = checkpoint, architecture = c.model.architecture
        var rows: [(String, String)] = [
            ("checkpoint", path),
            ("format", "\(CheckpointFormat.name) version \(CheckpointFormat.version)"),
            ("checksum", "\(checksum) OK (parameters and optimizer state verified)"),
            ("task", "\(c.model.task.rawValue), loss \(c.model.loss)"),
            ("architecture", ([String(architecture.inputSize)] + architecture.layers.map { "\($0.outputs) \($0.activation)" })
                .joined(separator: " → ")),
        ]
        if let kernels = c.kernels { rows.insert(("kernels", kernels), at: 3) }
        for (index, layer) in architecture.layers.enumerated() {
            rows.append(("  dense_\(index)", "\(layer.inputs)→\(layer.outputs) \(layer.activation), \(layer.parameterCount) parameters"))
        }
        let buffers = c.optimizerState.count / max(architecture.parameterCount, 1)
        rows.append(("parameters", "\(architecture.parameterCount)"
                     + (buffers > 0 ? " (optimizer state: \(buffers) buffer\(buffers == 1 ? "" : "s") of as many values)" : "")))
        rows.append(("position", position))
        if let configuration = c.configuration { rows += hyperparameterRows(configuration) }
        rows.append(("normalization", normalizationText))
        if let last = history.last { rows.append(("last epoch", Self.metricsText(last))) }
        if let best = bestValidationLoss { rows.append(("best val_loss", "\(Self.decimal(best.value)) (epoch \(best.epoch))")) }
        if let best = bestValidationAccuracy {
            rows.append(("best val_acc", "\(String(format: "%.2f", best.value * 100))% (epoch \(best.epoch))"))
        }
        if let best = bestValidationMAE { rows.append(("best val_mae", "\(Self.decimal(best.value)) (epoch \(best.epoch))")) }
        if let progress = c.progress, progress.bestValidationLoss.isFinite {
            rows.append(("early stopping", "\(progress.epochsWithoutImprovement) epoch\(progress.epochsWithoutImprovement == 1 ? "" : "s") without a better val_loss"))
        }
        rows += dataRows(naming: spelling)
        return rows
    }

    /// Epochs done, global step, and the step within the epoch when the run stopped mid-epoch.
    private var position: String {
        let c = checkpoint
        var text = "epoch \(c.epoch)\(c.configuration.map { " of \($0.epochs)" } ?? "") completed, global step \(c.step)"
        if let inEpoch = c.progress?.stepInEpoch, inEpoch > 0 {
            text += "; mid-epoch: step \(inEpoch)\(stepsPerEpoch.map { " of \($0)" } ?? "") in epoch \(c.epoch + 1)"
        }
        return text
    }

    private func hyperparameterRows(_ configuration: TrainingConfiguration) -> [(String, String)] {
        func settings(_ name: String, _ fields: [(String, OrderedJSON)]) -> String {
            ([name] + fields.map { "\($0.0)=\(Self.plain($0.1))" }).joined(separator: " ")
        }
        var batch = "\(configuration.batchSize) rows"
        if let steps = stepsPerEpoch { batch += ", \(steps) steps per epoch" }
        return [
            ("optimizer", settings(configuration.optimizer.kind.rawValue, Self.optimizerFields(configuration.optimizer))
                + ", lr \(configuration.resolvedLearningRate)"),
            ("schedule", settings(configuration.schedule.kind.rawValue, Self.scheduleFields(configuration.schedule))),
            ("batch", batch),
            ("shard size", "\(configuration.shardSize) rows"),
            ("seed", "\(configuration.seed)"),
            spreadRow(workers: configuration.workers),
            ("init", configuration.initializer?.description ?? "default for each activation"),
        ]
    }

    /// "workers  2 (…)" for one process or a checkpoint that did not record its spread; across
    /// processes "trained with  2 ranks × 1 worker on vm (…)".
    private func spreadRow(workers: Int) -> (String, String) {
        guard let spread = checkpoint.spread, spread.ranks > 1 else { return ("workers", "\(workers) (does not change the result)") }
        return ("trained with", "\(spread.describe(workers: workers)) (does not change the result)")
    }

    private var normalizationText: String {
        switch checkpoint.normalization {
        case .none: "none"
        case .scale(let factor): "scale: x × \(factor)"
        case .standardize(let mean, _): "standardize: (x − mean) / std for \(mean.count) features (statistics stored)"
        }
    }

    private func dataRows(naming spelling: (Setting) -> String) -> [(String, String)] {
        var rows: [(String, String)] = []
        if let data = checkpoint.data {
            rows.append(("train data", "\(data.train.file) \(data.train.x)/\(data.train.y)"))
            if let validation = data.validation {
                rows.append(("validation", "\(validation.file) \(validation.x)/\(validation.y)"))
            } else {
                let split: SettingText = data.validationSplit > 0 ? "\(data.validationSplit) of the training rows (\(.validationSplit))" : "none"
                rows.append(("validation", split.rendered(spelling)))
            }
            rows.append(("preparation", "normalize \(data.normalize.rawValue), task \(data.task?.rawValue ?? "inferred")"))
        }
        if let fingerprint = checkpoint.fingerprint { rows.append(("fingerprint", fingerprint.description)) }
        return rows
    }

    static func metricsText(_ m: EpochMetrics) -> String {
        var parts = ["epoch \(m.epoch) (step \(m.step))", "train_loss \(decimal(m.trainLoss))"]
        if let loss = m.validationLoss { parts.append("val_loss \(decimal(loss))") }
        if let accuracy = m.validationAccuracy { parts.append("val_acc \(String(format: "%.2f", accuracy * 100))%") }
        if let mae = m.validationMAE { parts.append("val_mae \(decimal(mae))") }
        parts.append("lr \(m.learningRate)")
        parts.append("\(String(format: "%.0f", m.samplesPerSecond)) samples/s")
        return parts.joined(separator: "  ")
    }

    /// Six significant digits.
    static func decimal(_ value: Double) -> String { String(format: "%.6g", value) }

    /// A plain JSON value as table text (`default` for null).
    static func plain(_ value: OrderedJSON) -> String {
        switch value {
        case .null: "default"
        case .string(let text): text
        case .array(let values): values.map(plain).joined(separator: ",")
        default: value.rendered()
        }
    }
}
