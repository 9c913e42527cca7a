import NeuralNet

/// Adamax (Adam with the infinity norm) with exactly PyTorch's `torch.optim.Adamax` semantics
/// (t = step + 1):
///
///     g ← g + λ·w                      (weight decay λ)
///     m ← β₁·m + (1 − β₁)·g             (computed as PyTorch's lerp)
///     u ← max(β₂·u, |g| + ε)
///     w ← w − (η / (1 − β₁ᵗ))·m / u
///
/// PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.
///
/// State, in this order: the first moment m, then the infinity norm u (2 buffers).
public struct Adamax: FirstMomentOptimizer, Equatable {
    /// PyTorch's default learning rate for Adamax.
    public static let defaultLearningRate: Float = 2e-3

    /// Decay β₁ of the first moment.
    public var beta1: Double
    /// Decay β₂ of the infinity norm.
    public var beta2: Double
    /// ε added to |g| before the maximum.
    public var eps: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    public var name: String { "adamax" }

    public var stateCount: Int { 2 }

    public var description: String {
        "adamax betas=(\(beta1), \(beta2)) eps=\(eps) weight_decay=\(weightDecay)"
    }

    public func update(
        parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount n: Int,
        range: Range<Int>, learningRate lr: Float, step: Int
    ) {
        // bias_correction = 1 - beta1 ** step; clr = lr / bias_correction (Python floats)
        let biasCorrection = 1 - pythonPower(beta1, Double(step + 1))
        let negativeRate = Float(-(Double(lr) / biasCorrection))
        let rest1 = Float(1 - beta1), decay2 = Float(beta2), epsilon = Float(eps)
        let lambda = Float(weightDecay)
        let first = step == 0
        let m = state, u = state + n
        @inline(__always) func group(_ offset: Int, _ lanes: Int) {
            let i = range.lowerBound + offset
            let weights = loadLanes(w, i, lanes)
            let g = gradientLanes(gradients, i, lanes, weights: weights, weightDecay: lambda)
            // exp_avg.lerp_(grad, 1 - beta1); torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps))
            let mi = torchLerp(stateLanes(m, i, lanes, first: first), g, weight: rest1)
            storeLanes(mi, m, i, lanes)
            let ui = torchMaximum(stateLanes(u, i, lanes, first: first) * decay2, magnitude(g) + epsilon)
            storeLanes(ui, u, i, lanes)
            // param.addcdiv_(exp_avg, exp_inf, value=-clr)
            storeLanes(weights + negativeRate * mi / ui, w, i, lanes)
        }
        forEachLaneGroup(range.count, group)
    }
}
