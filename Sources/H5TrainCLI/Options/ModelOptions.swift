import ArgumentParser
import Checkpoint
import Data
import Foundation
import NeuralNet
import Optimizers
import Training

/// The network's shape and loss, shared by `train` and `lr-find` (an untitled group: its flags
/// sit among the command's own options).
struct ModelOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Hidden layer widths, input side first, comma-separated, each optionally with its own activation after a colon (512:relu,256:tanh); 'none' for no hidden layer.", valueName: "n[:act],…"))
    var hidden = "128"

    @Option(help: ArgumentHelp("Hidden-layer activation: relu, leaky_relu[:slope], elu[:alpha], gelu, gelu_tanh, silu (swish), softplus[:beta], tanh, sigmoid, identity. (step cannot be trained; softmax and log_softmax are output layers.)", valueName: "name"))
    var activation = "relu"

    @Option(name: .customLong("init"), help: ArgumentHelp("""
        Weight initialiser: he_normal, he_uniform, glorot_uniform, glorot_normal, xavier (U[±1/√n]), \
        lecun_normal, lecun_uniform, zeros, constant:V, uniform:A,B, normal:MEAN,STD. \
        Default: he_normal for ReLU layers, glorot_uniform otherwise.
        """, valueName: "name"))
    var initializer: String?

    @Option(help: ArgumentHelp("""
        Loss: cross_entropy (classification default), nll, mse (regression default), l1, huber[:delta], \
        smooth_l1[:beta] (PyTorch's smooth_l1_loss: ½d²/β if |d| < β else |d| − ½β, β default 1; \
        = Huber(β)/β), bce.
        """, valueName: "name"))
    var loss: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Cross-entropy label smoothing ε in [0, 1): the target becomes q = (1 − ε)·onehot(t) + ε/K over \
        the K classes, ℓ = logsumexp(z) − Σ_k q_k·z_k and ∂ℓ/∂z = softmax(z) − q, so the network is \
        not pushed towards infinite logits. Same as PyTorch's \
        F.cross_entropy(z, t, label_smoothing=ε); 0.1 is a common choice.
        """, valueName: "ε"))
    var labelSmoothing: Float = 0

    @Option(help: ArgumentHelp("""
        Cross-entropy class weights w0,w1,…, one per class (finite, ≥ 0, not all 0): sample loss \
        w_t·ℓ and batch loss Σ w_t·ℓ / Σ w_t over the batch's samples (not ÷ batch size), exactly \
        PyTorch's F.cross_entropy(z, t, weight=w) with reduction='mean'; with --label-smoothing the \
        smoothing term of class k is weighted by w_k too, as in PyTorch. Give rare classes more \
        weight, e.g. w_k ∝ 1/frequency; weight 0 ignores a class (a batch of only such samples \
        has loss 0 and no gradient). Default: every class 1.
        """, valueName: "w0,w1,…"))
    var classWeights: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Dropout probability p on every hidden layer's output while training (inverted: kept values \
        are scaled by 1/(1 − p)); the masks depend only on the seed, step, row and unit, so results \
        stay identical for any --workers.
        """, valueName: "p"))
    var dropout: Float = 0

    func validate() throws {
        guard hiddenLayers != nil else {
            throw ValidationError("--hidden must be comma-separated positive widths, each optionally with its activation (512,256 or 512:relu,256:tanh), or 'none'; got '\(hidden)'")
        }
        guard Activation(name: activation) != nil else { throw ValidationError("--activation: unknown activation '\(activation)'") }
        if let initializer, Initializer(name: initializer) == nil { throw ValidationError("--init: unknown initialiser '\(initializer)'") }
        if let loss, Loss(name: loss) == nil { throw ValidationError("--loss: unknown loss '\(loss)'") }
        if let classWeights, parsedClassWeights == nil {
            throw ValidationError("--class-weights must be comma-separated numbers, one per class (like 1,2.5,1); got '\(classWeights)'")
        }
    }

    /// The numbers of `--class-weights` (nil when it is absent or malformed; ranges are checked by
    /// `TrainingConfiguration.validate`, the count against the classes when the data is known).
    var parsedClassWeights: [Float]? {
        guard let classWeights else { return nil }
        let values = classWeights.split(separator: ",", omittingEmptySubsequences: false)
            .map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ $0 != nil }) else { return nil }
        return values.compactMap { $0 }
    }

    /// The layers of `--hidden` — each a width and, after a colon, an optional activation of its
    /// own (`512:relu,256:leaky_relu:0.2`) — or nil when it is malformed.
    var hiddenLayers: [(width: Int, activation: Activation?)]? {
        if hidden == "none" { return [] }
        var layers: [(width: Int, activation: Activation?)] = []
        for entry in hidden.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1).map(String.init)
            guard let width = parts.first.flatMap({ Int($0) }), width > 0 else { return nil }
            if parts.count == 2 {
                guard let activation = Activation(name: parts[1]) else { return nil }
                layers.append((width, activation))
            } else {
                layers.append((width, nil))
            }
        }
        return layers
    }

    /// Copies these flags into `configuration`.
    func apply(to configuration: inout TrainingConfiguration) {
        let layers = hiddenLayers ?? []
        configuration.hidden = layers.map(\.width)
        configuration.activation = Activation(name: activation) ?? .relu
        configuration.hiddenActivations = layers.contains { $0.activation != nil }
            ? layers.map { $0.activation ?? configuration.activation } : nil
        configuration.initializer = initializer.flatMap(Initializer.init(name:))
        configuration.loss = loss.flatMap(Loss.init(name:))
        configuration.dropout = dropout
        configuration.labelSmoothing = labelSmoothing
        configuration.classWeights = parsedClassWeights
    }
}
