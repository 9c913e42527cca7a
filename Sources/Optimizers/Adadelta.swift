import NeuralNet

/// Adadelta with exactly PyTorch's `torch.optim.Adadelta` semantics:
///
///     g ← g + λ·w                                 (weight decay λ)
///     s ← ρ·s + (1 − ρ)·g²
///     Δ ← √(u + ε) / √(s + ε) · g
///     u ← ρ·u + (1 − ρ)·Δ²
///     w ← w − η·Δ
///
/// PyTorch's defaults: lr 1.0, rho 0.9, eps 1e-6, weight_decay 0.
///
/// State, in this order: the square average s, then the accumulated squared update u (2 buffers).
public struct Adadelta: Optimizer, Equatable {
    /// PyTorch's default learning rate for Adadelta.
    public static let defaultLearningRate: Float = 1.0

    /// Decay ρ of both running averages.
    public var rho: Double
    /// ε inside both roots.
    public var eps: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double

    public init(rho: Double = 0.9, eps: Double = 1e-6, weightDecay: Double = 0) {
        self.rho = rho
        self.eps = eps
        self.weightDecay = weightDecay
    }

    public var name: String { "adadelta" }

    public var stateCount: Int { 2 }

    public var description: String {
        "adadelta rho=\(rho) eps=\(eps) weight_decay=\(weightDecay)"
    }

    public func update(
        parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount n: Int,
        range: Range<Int>, learningRate lr: Float, step: Int
    ) {
        let decay = Float(rho), rest = Float(1 - rho), epsilon = Float(eps)
        let lambda = Float(weightDecay), negativeRate = -lr
        let first = step == 0
        let squareAverage = state, accumulatedDelta = state + n
        @inline(__always) func group(_ offset: Int, _ lanes: Int) {
            let i = range.lowerBound + offset
            let weights = loadLanes(w, i, lanes)
            let g = gradientLanes(gradients, i, lanes, weights: weights, weightDecay: lambda)
            // square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
            let s = updateSquareAverage(squareAverage, i, lanes, gradient: g, decay: decay, rest: rest, first: first)
            // std = square_avg.add(eps).sqrt_(); delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
            let u = stateLanes(accumulatedDelta, i, lanes, first: first)
            let std = (s + epsilon).squareRoot()
            let delta = (u + epsilon).squareRoot() / std * g
            // acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho); param.add_(delta, alpha=-lr)
            storeLanes(torchAddSquare(u * decay, delta, scaledBy: rest), accumulatedDelta, i, lanes)
            storeLanes(torchAdd(weights, delta, alpha: negativeRate), w, i, lanes)
        }
        forEachLaneGroup(range.count, group)
    }
}
