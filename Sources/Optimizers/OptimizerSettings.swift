import NeuralNet
import Settings

/// The optimizer a run asked for and every hyper-parameter, with PyTorch's defaults.
///
/// Fields that an optimizer does not use are ignored by it; `makeOptimizer` picks the ones it needs.
public struct OptimizerSettings: Sendable, Equatable {
    /// `sgd`, `rmsprop`, `adagrad`, `adadelta`, `adam`, `adamw`, `amsgrad`, `adamax`, `nadam`.
    public var name = "sgd"
    /// SGD and RMSprop momentum μ; nil: 0.9 for SGD, PyTorch's 0 for RMSprop.
    public var momentum: Double?
    public var dampening: Double = 0
    public var nesterov = false
    /// nil: the optimizer's default (0, and 0.01 for AdamW, whose decay is decoupled).
    public var weightDecay: Double?
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    /// nil: the optimizer's default (1e-8; Adagrad 1e-10; Adadelta 1e-6).
    public var eps: Double?
    /// RMSprop smoothing constant α.
    public var alpha: Double = 0.99
    public var centered = false
    /// Adadelta ρ.
    public var rho: Double = 0.9
    /// Adagrad learning-rate decay.
    public var lrDecay: Double = 0
    /// NAdam ψ.
    public var momentumDecay: Double = 4e-3
    /// Adagrad: the value its sum of squared gradients starts from.
    public var initialAccumulator: Double = 0
    /// NAdam: decay the weights directly (w ← w − lr·λ·w, as AdamW) instead of adding λ·w to the gradient.
    public var decoupledWeightDecay = false

    public init() {}

    /// Every name `--optimizer` accepts.
    public static let names = ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamw", "amsgrad", "adamax", "nadam"]

    /// The learning rate when `--lr` is not given: 0.05 for SGD (a sound rate for the bundled data
    /// and MNIST), PyTorch's default for the others.
    public var defaultLearningRate: Float {
        switch name {
        case "sgd": 0.05
        case "rmsprop": RMSprop.defaultLearningRate
        case "adagrad": Adagrad.defaultLearningRate
        case "adadelta": Adadelta.defaultLearningRate
        case "adamax": Adamax.defaultLearningRate
        case "nadam": NAdam.defaultLearningRate
        default: Adam.defaultLearningRate
        }
    }

    /// Checks names and ranges; errors name the flag.
    public func validate() throws(TrainingError) {
        func fail(_ setting: Setting, _ message: SettingText) -> TrainingError { .invalidSetting(setting, message) }
        guard Self.names.contains(name) else {
            throw fail(.optimizer, "unknown optimizer '\(name)'; expected one of \(Self.names.joined(separator: ", "))")
        }
        if let momentum, !(momentum.isFinite && momentum >= 0 && momentum < 1) { throw fail(.momentum, "must be in [0, 1), got \(momentum)") }
        if !(dampening.isFinite && dampening >= 0 && dampening <= 1) { throw fail(.dampening, "must be in [0, 1], got \(dampening)") }
        if nesterov && (sgdMomentum == 0 || dampening != 0) { throw fail(.nesterov, "needs \(.momentum) > 0 and \(.dampening) 0 (as in PyTorch)") }
        if let decay = weightDecay, !(decay.isFinite && decay >= 0) { throw fail(.weightDecay, "must be ≥ 0, got \(decay)") }
        for (setting, beta) in [(Setting.beta1, beta1), (.beta2, beta2), (.alpha, alpha), (.rho, rho)] where !(beta >= 0 && beta < 1) {
            throw fail(setting, "must be in [0, 1), got \(beta)")
        }
        if let eps, !(eps.isFinite && eps > 0) { throw fail(.eps, "must be a positive number, got \(eps)") }
        if !(lrDecay.isFinite && lrDecay >= 0) { throw fail(.lrDecay, "must be ≥ 0, got \(lrDecay)") }
        if !(momentumDecay.isFinite && momentumDecay >= 0) { throw fail(.momentumDecay, "must be ≥ 0, got \(momentumDecay)") }
        if !(initialAccumulator.isFinite && initialAccumulator >= 0) {
            throw fail(.initialAccumulator, "must be ≥ 0, got \(initialAccumulator)")
        }
    }

    /// The configured optimizer.
    public func makeOptimizer() -> any Optimizer {
        let decay = weightDecay ?? 0
        switch name {
        case "rmsprop":
            return RMSprop(alpha: alpha, eps: eps ?? 1e-8, weightDecay: decay, momentum: momentum ?? 0, centered: centered)
        case "adagrad":
            return Adagrad(lrDecay: lrDecay, weightDecay: decay, initialAccumulatorValue: initialAccumulator, eps: eps ?? 1e-10)
        case "adadelta":
            return Adadelta(rho: rho, eps: eps ?? 1e-6, weightDecay: decay)
        case "adam", "amsgrad":
            return Adam(beta1: beta1, beta2: beta2, eps: eps ?? 1e-8, weightDecay: decay, amsgrad: name == "amsgrad")
        case "adamw":
            return AdamW(beta1: beta1, beta2: beta2, eps: eps ?? 1e-8, weightDecay: weightDecay ?? 0.01)
        case "adamax":
            return Adamax(beta1: beta1, beta2: beta2, eps: eps ?? 1e-8, weightDecay: decay)
        case "nadam":
            return NAdam(beta1: beta1, beta2: beta2, eps: eps ?? 1e-8, weightDecay: decay, momentumDecay: momentumDecay,
                         decoupledWeightDecay: decoupledWeightDecay)
        default:
            return SGD(momentum: Float(sgdMomentum), weightDecay: Float(decay), dampening: Float(dampening), nesterov: nesterov)
        }
    }

    /// SGD's momentum: 0.9 unless given.
    public var sgdMomentum: Double { momentum ?? 0.9 }
}
