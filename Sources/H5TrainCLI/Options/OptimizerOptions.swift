import ArgumentParser
import NeuralNet
import Optimizers
import Settings
import Training

/// The optimizer and its hyper-parameters (PyTorch's names and defaults).
struct OptimizerOptions: ParsableArguments {
    /// What `--optimizer` accepts, from `OptimizerKind`, with a word on the kinds whose name says little.
    static var kindsHelp: String {
        let notes: [OptimizerKind: String] = [.adamw: "decoupled weight decay", .amsgrad: "Adam with the AMSGrad maximum"]
        return OptimizerKind.allCases.map { kind in notes[kind].map { "\(kind.rawValue) (\($0))" } ?? kind.rawValue }
            .joined(separator: ", ") + "."
    }

    /// `--lr`'s default for each kind, from `OptimizerKind`: the kinds that share a rate together,
    /// lowest rate first.
    static var learningRateHelp: String {
        let others = OptimizerKind.allCases.filter { $0 != .sgd }
        let rates = Set(others.map(\.defaultLearningRate)).sorted()
        let groups = rates.map { rate in
            others.filter { $0.defaultLearningRate == rate }.map(\.rawValue).joined(separator: "/") + " \(rate)"
        }
        return "Learning rate: the schedule's base rate (peak for onecycle/cyclic). Default: \(OptimizerKind.sgd.defaultLearningRate) "
            + "for sgd, PyTorch's default otherwise (\(groups.joined(separator: ", ")))."
    }

    @Option(help: ArgumentHelp(Self.kindsHelp, valueName: "name"))
    var optimizer = "sgd"

    @Option(name: .customLong("lr"), parsing: .unconditional, help: ArgumentHelp(Self.learningRateHelp, valueName: "rate"))
    var learningRate: Float?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Momentum μ of sgd (default 0.9; b ← μ·b + g, w ← w − lr·b) and rmsprop (default 0).", valueName: "μ"))
    var momentum: Double?

    @Option(parsing: .unconditional, help: "SGD dampening of the momentum buffer: b ← μ·b + (1 − dampening)·g.")
    var dampening: Double = 0

    @Flag(help: "SGD with Nesterov momentum (needs --momentum > 0, --dampening 0).")
    var nesterov = false

    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Weight decay λ: L2, added to the gradient (g ← g + λ·w), for every optimizer but adamw, \
        whose decay is decoupled (w ← w − lr·λ·w, default 0.01). Default 0.
        """, valueName: "λ"))
    var weightDecay: Double?

    @Option(parsing: .unconditional, help: "Adam family: decay rate of the first moment (β₁).")
    var beta1: Double = 0.9

    @Option(parsing: .unconditional, help: "Adam family: decay rate of the second moment (β₂).")
    var beta2: Double = 0.999

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Term added to denominators for stability (default 1e-8; adagrad 1e-10, adadelta 1e-6).", valueName: "ε"))
    var eps: Double?

    @Option(parsing: .unconditional, help: "RMSprop smoothing constant α of the squared-gradient average.")
    var alpha: Double = 0.99

    @Flag(help: "RMSprop: normalise by the centred second moment (an estimate of the variance).")
    var centered = false

    @Option(parsing: .unconditional, help: "Adadelta: decay rate ρ of the running averages.")
    var rho: Double = 0.9

    @Option(parsing: .unconditional, help: "Adagrad: learning-rate decay, lr / (1 + (t − 1)·decay).")
    var lrDecay: Double = 0

    @Option(parsing: .unconditional, help: "NAdam: momentum decay ψ.")
    var momentumDecay: Double = 4e-3

    @Option(parsing: .unconditional, help: "Adagrad: the starting value of its sum of squared gradients.")
    var initialAccumulator: Double = 0

    @Flag(help: "NAdam: decoupled weight decay (w ← w − lr·λ·w, as AdamW) instead of L2 added to the gradient.")
    var decoupledWeightDecay = false

    /// The optimizer's kind; an unknown name is refused, listing the known ones.
    var kind: OptimizerKind {
        get throws(TrainingError) {
            guard let kind = OptimizerKind(rawValue: optimizer.lowercased()) else {
                let names = OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidSetting(.optimizer, "unknown optimizer '\(optimizer.lowercased())'; expected one of \(names)")
            }
            return kind
        }
    }

    var settings: OptimizerSettings {
        get throws(TrainingError) { try makeSettings() }
    }

    private func makeSettings() throws(TrainingError) -> OptimizerSettings {
        var settings = OptimizerSettings(kind: try kind)
        settings.momentum = momentum
        settings.dampening = dampening
        settings.nesterov = nesterov
        settings.weightDecay = weightDecay
        settings.beta1 = beta1
        settings.beta2 = beta2
        settings.eps = eps
        settings.alpha = alpha
        settings.centered = centered
        settings.rho = rho
        settings.lrDecay = lrDecay
        settings.momentumDecay = momentumDecay
        settings.initialAccumulator = initialAccumulator
        settings.decoupledWeightDecay = decoupledWeightDecay
        return settings
    }
}
