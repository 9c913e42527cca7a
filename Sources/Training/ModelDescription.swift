import Data
import DataParallel
import NeuralNet
import Optimizers
import Settings

/// The network a run trains: architecture, loss and how it was initialised, plus the task.
public struct ModelDescription: Sendable, Equatable {
    public let architecture: NetworkArchitecture
    public let loss: Loss
    public let task: TaskKind
    public let initializers: [Initializer]
    /// What was chosen and why, for the user.
    public let notes: [SettingText]

    /// Derives the model from the settings and the data's shape.
    ///
    /// The output layer follows the task: softmax (fused into cross-entropy) for classes, identity
    /// with MSE for regression, unless `loss` says otherwise; cross-entropy takes
    /// `label_smoothing` and `class_weights` (see `TrainingConfiguration.resolvedLoss`).
    public init(configuration: TrainingConfiguration, inputs: Int, outputs: Int, task: TaskKind) throws(TrainingError) {
        let loss = try configuration.resolvedLoss(task: task, classes: outputs)
        if loss.usesClassIndices != (task == .classification) {
            throw .invalidSetting(.loss, "\(loss) needs \(loss.usesClassIndices ? "class labels" : "real-valued targets"), but the task is \(task.rawValue)")
        }
        let outputActivation: Activation = switch loss {
        case .softmaxCrossEntropy: .softmax
        case .negativeLogLikelihood: .logSoftmax
        case .binaryCrossEntropy: .sigmoid
        default: .identity
        }
        let widths = [inputs] + configuration.hidden + [outputs]
        let activations = configuration.resolvedHiddenActivations + [outputActivation]
        try MemoryBudget.checkParameterCount(widths: widths)
        let architecture = NetworkArchitecture(layers: activations.indices.map { i in
            LayerSpec(inputs: widths[i], outputs: widths[i + 1], activation: activations[i],
                      dropout: i < activations.count - 1 ? configuration.dropout : 0)
        })
        let initializers = architecture.layers.map { configuration.initializer ?? Initializer.defaultFor($0.activation) }
        var notes: [SettingText] = [SettingText("model: " + architecture.layers.map { "\($0.inputs)→\($0.outputs) \($0.activation)" }.joined(separator: ", ")
                     + "  (\(architecture.parameterCount) parameters); loss \(loss.summary)"
                     + (configuration.dropout > 0 ? "; dropout \(configuration.dropout) on hidden outputs while training" : ""))]
        let hiddenInit = configuration.initializer ?? Initializer.defaultFor(configuration.activation)
        let chosen = architecture.layers.enumerated().map { "layer \($0.offset + 1) \(initializers[$0.offset])" }.joined(separator: ", ")
        let change: SettingText = configuration.initializer == nil ? " (the default for each layer's activation; change with \(.initializer))" : ""
        notes.append("init: \(chosen)\(change), biases zero")
        if hiddenInit.isSymmetric && !configuration.hidden.isEmpty {
            notes.append("warning: \(hiddenInit) gives every hidden unit the same weights; they stay identical (symmetric) and learn as one unit")
        }
        self.init(architecture: architecture, loss: loss, task: task, initializers: initializers, notes: notes)
    }

    /// A model rebuilt from its parts (e.g. from a checkpoint).
    public init(architecture: NetworkArchitecture, loss: Loss, task: TaskKind, initializers: [Initializer], notes: [SettingText] = []) {
        self.architecture = architecture
        self.loss = loss
        self.task = task
        self.initializers = initializers
        self.notes = notes
    }
}
