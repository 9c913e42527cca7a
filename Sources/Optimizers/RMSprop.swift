import NeuralNet

/// RMSprop with exactly PyTorch's `torch.optim.RMSprop` semantics (Hinton's form, ε outside the root):
///
///     g ← g + λ·w                                   (weight decay λ)
///     s ← α·s + (1 − α)·g²
///     centered:  ḡ ← α·ḡ + (1 − α)·g;  d ← √(s − ḡ²) + ε      else d ← √s + ε
///     momentum:  b ← μ·b + g/d;  w ← w − η·b                  else w ← w − η·g/d
///
/// PyTorch's defaults: lr 0.01, alpha 0.99, eps 1e-8, weight_decay 0, momentum 0, centered false.
///
/// State, in this order: the square average s; then the gradient average ḡ if `centered`; then the
/// momentum buffer b if `momentum > 0` — 1 to 3 buffers, all starting at zero as in PyTorch.
public struct RMSprop: Optimizer, Equatable {
    /// PyTorch's default learning rate for RMSprop.
    public static let defaultLearningRate: Float = 0.01

    /// Smoothing constant α of the averages.
    public var alpha: Double
    /// ε added to the root of the (centered) square average.
    public var eps: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double
    /// Momentum μ; 0 disables the momentum buffer.
    public var momentum: Double
    /// Normalise by the estimated variance s − ḡ² instead of the uncentered second moment s.
    public var centered: Bool

    public init(alpha: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0, momentum: Double = 0,
                centered: Bool = false) {
        self.alpha = alpha
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    public var name: String { "rmsprop" }

    /// The momentum term follows the cycled value when RMSprop was configured with momentum
    /// (otherwise it keeps no momentum buffer).
    public func cyclingMomentum(_ momentum: Float) -> RMSprop {
        guard self.momentum > 0 else { return self }
        var copy = self
        copy.momentum = Double(momentum)
        return copy
    }

    public var stateCount: Int { 1 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0) }

    public var description: String {
        "rmsprop alpha=\(alpha) eps=\(eps) weight_decay=\(weightDecay) momentum=\(momentum) centered=\(centered)"
    }

    public func update(
        parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount n: Int,
        range: Range<Int>, learningRate lr: Float, step: Int
    ) {
        let decay = Float(alpha), rest = Float(1 - alpha), epsilon = Float(eps)
        let lambda = Float(weightDecay), mu = Float(momentum), negativeRate = -lr
        let useMomentum = momentum > 0
        let first = step == 0
        let squareAverage = state
        let gradientAverage = state + n  // only if centered
        let buffer = state + (centered ? 2 : 1) * n  // only if momentum > 0
        @inline(__always) func group(_ offset: Int, _ lanes: Int) {
            let i = range.lowerBound + offset
            let weights = loadLanes(w, i, lanes)
            let g = gradientLanes(gradients, i, lanes, weights: weights, weightDecay: lambda)
            // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
            let s = updateSquareAverage(squareAverage, i, lanes, gradient: g, decay: decay, rest: rest, first: first)
            var d: Lanes
            if centered {
                // grad_avg.lerp_(grad, 1 - alpha); avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
                let m = torchLerp(stateLanes(gradientAverage, i, lanes, first: first), g, weight: rest)
                storeLanes(m, gradientAverage, i, lanes)
                d = torchAddSquare(s, m, scaledBy: -1).squareRoot()
            } else {
                d = s.squareRoot()
            }
            d = d + epsilon
            if useMomentum {
                // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
                let b = stateLanes(buffer, i, lanes, first: first) * mu + g / d
                storeLanes(b, buffer, i, lanes)
                storeLanes(torchAdd(weights, b, alpha: negativeRate), w, i, lanes)
            } else {
                // param.addcdiv_(grad, avg, value=-lr)
                storeLanes(weights + negativeRate * g / d, w, i, lanes)
            }
        }
        forEachLaneGroup(range.count, group)
    }
}
