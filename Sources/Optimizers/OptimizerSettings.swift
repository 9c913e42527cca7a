import NeuralNet
import Settings

/// The optimizer a run asked for and every hyper-parameter, with PyTorch's defaults.
///
/// Fields that an optimizer does not use are ignored by it; its kind picks the ones it needs
/// (`OptimizerKind.hyperparameters`). Optional fields are unset when their default depends on the kind.
public struct OptimizerSettings: Sendable, Equatable {
    public var kind = OptimizerKind.sgd
    /// SGD and RMSprop momentum μ; nil: the kind's default (0.9 for SGD, PyTorch's 0 for RMSprop).
    public var momentum: Double?
    public var dampening: Double = 0
    public var nesterov = false
    /// nil: the kind's default (0, and 0.01 for AdamW, whose decay is decoupled).
    public var weightDecay: Double?
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    /// nil: the kind's default (1e-8; Adagrad 1e-10; Adadelta 1e-6).
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

    public init(kind: OptimizerKind = .sgd) { self.kind = kind }

    /// The learning rate when none is given.
    public var defaultLearningRate: Float { kind.defaultLearningRate }

    /// μ, or the kind's default.
    public var resolvedMomentum: Double { momentum ?? kind.defaultMomentum }
    /// ε, or the kind's default.
    public var resolvedEps: Double { eps ?? kind.defaultEps }
    /// λ, or the kind's default.
    public var resolvedWeightDecay: Double { weightDecay ?? kind.defaultWeightDecay }

    /// Checks ranges; each error names the setting.
    public func validate() throws(TrainingError) {
        func fail(_ setting: Setting, _ message: SettingText) -> TrainingError { .invalidSetting(setting, message) }
        if let momentum, !(momentum.isFinite && momentum >= 0 && momentum < 1) { throw fail(.momentum, "must be in [0, 1), got \(momentum)") }
        if !(dampening.isFinite && dampening >= 0 && dampening <= 1) { throw fail(.dampening, "must be in [0, 1], got \(dampening)") }
        if nesterov && (resolvedMomentum == 0 || dampening != 0) { throw fail(.nesterov, "needs \(.momentum) > 0 and \(.dampening) 0 (as in PyTorch)") }
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
    public func makeOptimizer() -> any Optimizer { kind.makeOptimizer(self) }
}
