import NeuralNet

/// Adam with exactly PyTorch's `torch.optim.Adam` semantics (t = step + 1):
///
///     g ← g + λ·w                  (weight decay λ as an L2 penalty; see `decoupledWeightDecay`)
///     m ← β₁·m + (1 − β₁)·g         (computed as PyTorch's lerp)
///     v ← β₂·v + (1 − β₂)·g²
///     v̂ ← max(v̂, v) with amsgrad, else v̂ = v
///     w ← w − (η / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
///
/// in PyTorch's order of operations: denom = (√v̂ / bias_correction2_sqrt) + ε, step_size =
/// η / bias_correction1, w ← w + (−step_size·m) / denom.
///
/// PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0, amsgrad false,
/// decoupled_weight_decay false.
///
/// State, in this order: the first moment m, the second moment v, and with `amsgrad` the running
/// maximum v̂ of v (2 or 3 buffers, all starting at zero as in PyTorch).
public struct Adam: FirstMomentOptimizer, Equatable {
    /// PyTorch's default learning rate for Adam.
    public static let defaultLearningRate: Float = 1e-3

    /// Decay β₁ of the first moment.
    public var beta1: Double
    /// Decay β₂ of the second moment.
    public var beta2: Double
    /// ε added to the bias-corrected root of the second moment.
    public var eps: Double
    /// Weight decay λ: an L2 penalty added to the gradient, or with `decoupledWeightDecay` a
    /// multiplicative shrink w ← (1 − η·λ)·w before the step (then this is AdamW).
    public var weightDecay: Double
    /// Use the running maximum of the second moment (AMSGrad).
    public var amsgrad: Bool
    /// Apply the weight decay as AdamW does rather than through the gradient.
    public var decoupledWeightDecay: Bool

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0,
                amsgrad: Bool = false, decoupledWeightDecay: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// "adamw" with decoupled weight decay (PyTorch's AdamW), else "adam".
    public var name: String { decoupledWeightDecay ? "adamw" : "adam" }

    public var stateCount: Int { amsgrad ? 3 : 2 }

    public var description: String {
        "\(name) betas=(\(beta1), \(beta2)) eps=\(eps) weight_decay=\(weightDecay) amsgrad=\(amsgrad)"
    }

    public func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount: Int,
        range: Range<Int>, learningRate: Float, step: Int
    ) {
        adamUpdate(parameters: parameters, gradients: gradients, state: state, parameterCount: parameterCount,
                   range: range, learningRate: learningRate, step: step, beta1: beta1, beta2: beta2, eps: eps,
                   weightDecay: weightDecay, decoupled: decoupledWeightDecay, amsgrad: amsgrad)
    }
}

extension Adam {
    /// AdamW with exactly PyTorch's `torch.optim.AdamW` semantics: Adam whose weight decay shrinks
    /// the parameters before the step instead of entering the gradient,
    ///
    ///     w ← w·(1 − η·λ)                (the factor computed in double, as Python does)
    ///     then the Adam step with the undecayed gradient,
    ///
    /// which is `torch.optim.Adam(decoupled_weight_decay=True)`. PyTorch's defaults: lr 1e-3, betas
    /// (0.9, 0.999), eps 1e-8, weight_decay 0.01, amsgrad false.
    public static func adamW(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.01,
                             amsgrad: Bool = false) -> Adam {
        Adam(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad, decoupledWeightDecay: true)
    }
}

/// PyTorch's `_single_tensor_adam`.
@inline(__always)
private func adamUpdate(
    parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
    state: UnsafeMutablePointer<Float>, parameterCount n: Int,
    range: Range<Int>, learningRate lr: Float, step: Int,
    beta1: Double, beta2: Double, eps: Double, weightDecay: Double, decoupled: Bool, amsgrad: Bool
) {
    // Per-step scalars in Python floats, from the step alone.
    let t = Double(step + 1)
    let biasCorrection1 = 1 - pythonPower(beta1, t)
    let biasCorrection2 = 1 - pythonPower(beta2, t)
    let stepSize = Double(lr) / biasCorrection1
    let biasCorrection2Root = Float(pythonPower(biasCorrection2, 0.5))
    let negativeStepSize = Float(-stepSize)
    let shrink = Float(1 - Double(lr) * weightDecay)  // param.mul_(1 - lr * weight_decay)
    let lambda = Float(weightDecay), epsilon = Float(eps)
    let rest1 = Float(1 - beta1), decay2 = Float(beta2), rest2 = Float(1 - beta2)
    let useL2 = weightDecay != 0 && !decoupled, useShrink = weightDecay != 0 && decoupled
    let first = step == 0
    let m = state, v = state + n, vMax = state + 2 * n  // vMax only with amsgrad
    @inline(__always) func group(_ offset: Int, _ lanes: Int) {
        let i = range.lowerBound + offset
        var g = loadLanes(gradients, i, lanes)
        var weights = loadLanes(w, i, lanes)
        if useShrink { weights = weights * shrink }
        if useL2 { g = torchAdd(g, weights, alpha: lambda) }  // grad.add(param, alpha=weight_decay)
        // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        let mi = torchLerp(stateLanes(m, i, lanes, first: first), g, weight: rest1)
        storeLanes(mi, m, i, lanes)
        var vi = torchAddSquare(stateLanes(v, i, lanes, first: first) * decay2, g, scaledBy: rest2)
        storeLanes(vi, v, i, lanes)
        if amsgrad {
            vi = torchMaximum(stateLanes(vMax, i, lanes, first: first), vi)
            storeLanes(vi, vMax, i, lanes)
        }
        // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps); param.addcdiv_(exp_avg, denom, value=-step_size)
        let denominator = vi.squareRoot() / biasCorrection2Root + epsilon
        storeLanes(weights + negativeStepSize * mi / denominator, w, i, lanes)
    }
    forEachLaneGroup(range.count, group)
}
