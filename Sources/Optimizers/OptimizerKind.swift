import Settings

/// The optimizers a run can use. Each kind owns its defaults, the hyper-parameters its update rule
/// reads (in the order every report lists them), the rule itself in PyTorch's form, and how to
/// build it: `explain`, `inspect`, the checkpoint and training all read them from here, so a new
/// optimizer is one file for its update loop plus one case.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case sgd, rmsprop, adagrad, adadelta, adam, adamw, amsgrad, adamax, nadam

    /// The learning rate when none is given: 0.05 for SGD (a sound rate for the bundled data and
    /// MNIST), PyTorch's default for the others.
    public var defaultLearningRate: Float { self == .sgd ? 0.05 : pytorchLearningRate }

    /// torch.optim's default learning rate.
    public var pytorchLearningRate: Float {
        switch self {
        case .sgd, .adam, .adamw, .amsgrad: 1e-3
        case .rmsprop, .adagrad: 1e-2
        case .adadelta: 1.0
        case .adamax, .nadam: 2e-3
        }
    }

    /// ε when none is given (PyTorch's).
    public var defaultEps: Double {
        switch self {
        case .adagrad: 1e-10
        case .adadelta: 1e-6
        default: 1e-8
        }
    }

    /// Weight decay λ when none is given: AdamW's decoupled 0.01, else none (PyTorch's).
    public var defaultWeightDecay: Double { self == .adamw ? 0.01 : 0 }

    /// Momentum μ when none is given: 0.9 for SGD (h5train's), 0 for RMSprop (PyTorch's).
    public var defaultMomentum: Double { self == .sgd ? 0.9 : 0 }

    /// The hyper-parameters the update rule reads, in the order reports list them.
    public var hyperparameters: [OptimizerHyperparameter] {
        switch self {
        case .sgd: [.momentum, .dampening, .nesterov, .weightDecay]
        case .rmsprop: [.alpha, .eps, .momentum, .centered, .weightDecay]
        case .adagrad: [.lrDecay, .eps, .weightDecay, .initialAccumulator]
        case .adadelta: [.rho, .eps, .weightDecay]
        case .adam, .adamw, .amsgrad, .adamax: [.beta1, .beta2, .eps, .weightDecay]
        case .nadam: [.beta1, .beta2, .eps, .weightDecay, .momentumDecay, .decoupledWeightDecay]
        }
    }

    /// The optimizer these settings describe.
    public func makeOptimizer(_ s: OptimizerSettings) -> any Optimizer {
        let eps = s.resolvedEps, decay = s.resolvedWeightDecay
        switch self {
        case .sgd:
            return SGD(momentum: Float(s.resolvedMomentum), weightDecay: Float(decay), dampening: Float(s.dampening), nesterov: s.nesterov)
        case .rmsprop:
            return RMSprop(alpha: s.alpha, eps: eps, weightDecay: decay, momentum: s.resolvedMomentum, centered: s.centered)
        case .adagrad:
            return Adagrad(lrDecay: s.lrDecay, weightDecay: decay, initialAccumulatorValue: s.initialAccumulator, eps: eps)
        case .adadelta:
            return Adadelta(rho: s.rho, eps: eps, weightDecay: decay)
        case .adam, .amsgrad:
            return Adam(beta1: s.beta1, beta2: s.beta2, eps: eps, weightDecay: decay, amsgrad: self == .amsgrad)
        case .adamw:
            return Adam.adamW(beta1: s.beta1, beta2: s.beta2, eps: eps, weightDecay: decay)
        case .adamax:
            return Adamax(beta1: s.beta1, beta2: s.beta2, eps: eps, weightDecay: decay)
        case .nadam:
            return NAdam(beta1: s.beta1, beta2: s.beta2, eps: eps, weightDecay: decay, momentumDecay: s.momentumDecay,
                         decoupledWeightDecay: s.decoupledWeightDecay)
        }
    }

    /// Whether the rule has a momentum term a cycling schedule can set: SGD's and RMSprop's μ when
    /// it is not 0, β₁ of the Adam family.
    public func hasMomentumTerm(_ s: OptimizerSettings) -> Bool {
        switch self {
        case .sgd, .rmsprop: s.resolvedMomentum > 0
        case .adagrad, .adadelta: false
        default: true
        }
    }

    /// What a cycling schedule cycles: "momentum" or "β₁".
    public var momentumTermName: String { self == .sgd || self == .rmsprop ? "momentum" : "β₁" }

    /// The rule's name for people: "SGD with Nesterov momentum", "Adam with AMSGrad", ….
    public func title(_ s: OptimizerSettings) -> String {
        switch self {
        case .sgd: "SGD" + (s.resolvedMomentum == 0 ? "" : " with \(s.nesterov ? "Nesterov " : "")momentum")
        case .rmsprop: "RMSprop" + (s.centered ? " (centered)" : "")
        case .adagrad: "Adagrad"
        case .adadelta: "Adadelta"
        case .adam: "Adam"
        case .adamw: "AdamW"
        case .amsgrad: "Adam with AMSGrad"
        case .adamax: "Adamax"
        case .nadam: "NAdam"
        }
    }

    /// Names of the state buffers, in storage order.
    public func stateNames(_ s: OptimizerSettings) -> [String] {
        switch self {
        case .sgd: s.resolvedMomentum == 0 ? [] : ["momentum b"]
        case .rmsprop: ["square average s"] + (s.centered ? ["gradient average ḡ"] : []) + (s.resolvedMomentum > 0 ? ["momentum b"] : [])
        case .adagrad: ["sum of squares s"]
        case .adadelta: ["square average s", "update average u"]
        case .adamax: ["first moment m", "infinity norm u"]
        case .amsgrad: ["first moment m", "second moment v", "maximum v̂"]
        case .adam, .adamw, .nadam: ["first moment m", "second moment v"]
        }
    }

    /// The update rule, one step per line, in PyTorch's form (t = step + 1, g = the batch-mean gradient).
    public func updateRule(_ s: OptimizerSettings) -> [String] {
        let l2 = "g ← g + λ·w                  (L2 weight decay λ)"
        switch self {
        case .sgd:
            return s.resolvedMomentum == 0 ? [l2, "w ← w − lr·g"] : [
                l2, "b ← g on the first step, else b ← μ·b + (1 − dampening)·g",
                s.nesterov ? "w ← w − lr·(g + μ·b)        (Nesterov)" : "w ← w − lr·b"]
        case .rmsprop:
            return [l2, "s ← α·s + (1 − α)·g²",
                    s.centered ? "ḡ ← α·ḡ + (1 − α)·g;  d ← √(s − ḡ²) + ε" : "d ← √s + ε",
                    s.resolvedMomentum > 0 ? "b ← μ·b + g/d;  w ← w − lr·b" : "w ← w − lr·g/d"]
        case .adagrad:
            return [l2, "lr_t ← lr / (1 + (t − 1)·lr_decay)", "s ← s + g²", "w ← w − lr_t·g / (√s + ε)"]
        case .adadelta:
            return [l2, "s ← ρ·s + (1 − ρ)·g²", "Δ ← √(u + ε) / √(s + ε) · g", "u ← ρ·u + (1 − ρ)·Δ²", "w ← w − lr·Δ"]
        case .adamax:
            return [l2, "m ← β₁·m + (1 − β₁)·g", "u ← max(β₂·u, |g| + ε)", "w ← w − (lr / (1 − β₁ᵗ))·m / u"]
        case .nadam:
            return [s.decoupledWeightDecay ? "w ← w·(1 − lr·λ)             (decoupled weight decay λ)" : l2,
                    "μ_t ← β₁·(1 − ½·0.96^(t·ψ))", "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  v̂ ← v / (1 − β₂ᵗ)",
                    "w ← w − lr·(1 − μ_t)/(1 − Π_{i≤t} μ_i) · g/(√v̂ + ε) − lr·μ_{t+1}/(1 − Π_{i≤t+1} μ_i) · m/(√v̂ + ε)"]
        case .adam, .adamw, .amsgrad:
            return [self == .adamw ? "w ← w·(1 − lr·λ)             (decoupled weight decay λ)" : l2,
                    "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²"]
                + (self == .amsgrad ? ["v̂ ← max(v̂, v)                (AMSGrad)"] : [])
                + ["w ← w − (lr / (1 − β₁ᵗ)) · m / (√\(self == .amsgrad ? "v̂" : "v") / √(1 − β₂ᵗ) + ε)"]
        }
    }
}

/// A hyper-parameter of an optimizer: its setting, its label in formulas, PyTorch's default, and its
/// value in a run's settings (defaults resolved).
public enum OptimizerHyperparameter: String, Sendable, CaseIterable {
    case momentum, dampening, nesterov, alpha, eps, centered, rho, beta1, beta2
    case lrDecay = "lr_decay", weightDecay = "weight_decay", momentumDecay = "momentum_decay"
    case initialAccumulator = "initial_accumulator", decoupledWeightDecay = "decoupled_weight_decay"

    /// A number, or an on/off switch.
    public enum Value: Sendable, Equatable {
        case number(Double)
        case flag(Bool)
    }

    /// The key reports and scripts use (inspect, as text and JSON).
    public var key: String { rawValue }

    /// The setting that chooses it.
    public var setting: Setting {
        switch self {
        case .momentum: .momentum
        case .dampening: .dampening
        case .nesterov: .nesterov
        case .alpha: .alpha
        case .eps: .eps
        case .centered: .centered
        case .rho: .rho
        case .beta1: .beta1
        case .beta2: .beta2
        case .lrDecay: .lrDecay
        case .weightDecay: .weightDecay
        case .momentumDecay: .momentumDecay
        case .initialAccumulator: .initialAccumulator
        case .decoupledWeightDecay: .decoupledWeightDecay
        }
    }

    /// Its name in the update rule's formulas.
    public var label: String {
        switch self {
        case .momentum: "momentum μ"
        case .alpha: "α"
        case .eps: "ε"
        case .rho: "ρ"
        case .beta1: "β₁"
        case .beta2: "β₂"
        case .weightDecay: "weight decay λ"
        case .momentumDecay: "momentum decay ψ"
        case .initialAccumulator: "initial accumulator"
        case .decoupledWeightDecay: "decoupled weight decay"
        case .dampening, .nesterov, .centered, .lrDecay: rawValue
        }
    }

    /// torch.optim's default for `kind`.
    public func pytorchDefault(for kind: OptimizerKind) -> Value {
        switch self {
        case .momentum, .dampening, .lrDecay, .initialAccumulator: .number(0)
        case .nesterov, .centered, .decoupledWeightDecay: .flag(false)
        case .alpha: .number(0.99)
        case .eps: .number(kind.defaultEps)
        case .rho, .beta1: .number(0.9)
        case .beta2: .number(0.999)
        case .weightDecay: .number(kind.defaultWeightDecay)
        case .momentumDecay: .number(0.004)
        }
    }

    /// Its value in `s`, defaults resolved.
    public func value(in s: OptimizerSettings) -> Value {
        switch self {
        case .momentum: .number(s.resolvedMomentum)
        case .dampening: .number(s.dampening)
        case .nesterov: .flag(s.nesterov)
        case .alpha: .number(s.alpha)
        case .eps: .number(s.resolvedEps)
        case .centered: .flag(s.centered)
        case .rho: .number(s.rho)
        case .beta1: .number(s.beta1)
        case .beta2: .number(s.beta2)
        case .lrDecay: .number(s.lrDecay)
        case .weightDecay: .number(s.resolvedWeightDecay)
        case .momentumDecay: .number(s.momentumDecay)
        case .initialAccumulator: .number(s.initialAccumulator)
        case .decoupledWeightDecay: .flag(s.decoupledWeightDecay)
        }
    }

    /// Whether `s` sets it explicitly rather than leaving h5train's default (only the settings whose
    /// default depends on the kind can be left unset).
    public func isGiven(in s: OptimizerSettings) -> Bool {
        switch self {
        case .momentum: s.momentum != nil
        case .eps: s.eps != nil
        case .weightDecay: s.weightDecay != nil
        default: true
        }
    }
}
