import NeuralNet

/// NAdam (Adam with Nesterov momentum, Dozat 2016) with exactly PyTorch's `torch.optim.NAdam`
/// semantics (t = step + 1, ψ = momentum_decay):
///
///     μ_t ← β₁·(1 − ½·0.96^(t·ψ)),   Π_t ← Π_{t−1}·μ_t  (Π₀ = 1)
///     g ← g + λ·w                  (or w ← w·(1 − η·λ) with decoupled weight decay)
///     m ← β₁·m + (1 − β₁)·g         (computed as PyTorch's lerp)
///     v ← β₂·v + (1 − β₂)·g²
///     d ← √(v / (1 − β₂ᵗ)) + ε
///     w ← w − η·(1 − μ_t)/(1 − Π_t) · g/d − η·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d
///
/// PyTorch keeps Π in a float32 tensor (`mu_product *= mu`), so Π here is the same float32 product,
/// recomputed from the step alone by a loop over 1…t that stops once the product underflows to zero
/// (after about 150 steps with the defaults; it stays zero from then on).
///
/// PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0, momentum_decay 4e-3,
/// decoupled_weight_decay false.
///
/// State, in this order: the first moment m, then the second moment v (2 buffers).
public struct NAdam: FirstMomentOptimizer, Equatable {
    /// PyTorch's default learning rate for NAdam.
    public static let defaultLearningRate: Float = 2e-3

    /// Decay β₁ of the first moment, and the scale of the momentum schedule μ_t.
    public var beta1: Double
    /// Decay β₂ of the second moment.
    public var beta2: Double
    /// ε added to the bias-corrected root of the second moment.
    public var eps: Double
    /// Weight decay λ: an L2 penalty added to the gradient, or with `decoupledWeightDecay` a
    /// multiplicative shrink w ← (1 − η·λ)·w before the step.
    public var weightDecay: Double
    /// ψ in the momentum schedule μ_t = β₁·(1 − ½·0.96^(t·ψ)).
    public var momentumDecay: Double
    /// Apply the weight decay as AdamW does rather than through the gradient.
    public var decoupledWeightDecay: Bool

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0,
                momentumDecay: Double = 4e-3, decoupledWeightDecay: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentumDecay = momentumDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public var name: String { "nadam" }

    public var stateCount: Int { 2 }

    public var description: String {
        "nadam betas=(\(beta1), \(beta2)) eps=\(eps) weight_decay=\(weightDecay) momentum_decay=\(momentumDecay)"
            + " decoupled_weight_decay=\(decoupledWeightDecay)"
    }

    /// μ_t = β₁·(1 − ½·0.96^(t·ψ)) for PyTorch's 1-based t, in Python floats.
    @inline(__always)
    private func mu(_ t: Double) -> Double {
        beta1 * (1.0 - 0.5 * pythonPower(0.96, t * momentumDecay))
    }

    /// Π_t = μ₁·μ₂·…·μ_t accumulated in float32 as PyTorch's `mu_product` tensor is.
    func muProduct(throughStep t: Int) -> Float {
        var product: Float = 1
        var k = 1
        while k <= t && product != 0 {
            product = product * Float(mu(Double(k)))
            k += 1
        }
        return product
    }

    public func update(
        parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount n: Int,
        range: Range<Int>, learningRate lr: Float, step: Int
    ) {
        // Per-step scalars in Python floats, from the step alone.
        let t = Double(step + 1), rate = Double(lr)
        let biasCorrection2 = 1 - pythonPower(beta2, t)
        let muNow = mu(t), muNext = mu(t + 1)
        let product = Double(muProduct(throughStep: step + 1))
        let productNext = product * muNext
        let gradientScale = Float(-rate * (1.0 - muNow) / (1.0 - product))
        let momentScale = Float((-rate * muNext) / (1.0 - productNext))
        let shrink = Float(1 - rate * weightDecay)  // param.mul_(1 - lr * weight_decay)
        let lambda = Float(weightDecay), epsilon = Float(eps), correction2 = Float(biasCorrection2)
        let rest1 = Float(1 - beta1), decay2 = Float(beta2), rest2 = Float(1 - beta2)
        let useL2 = weightDecay != 0 && !decoupledWeightDecay, useShrink = weightDecay != 0 && decoupledWeightDecay
        let first = step == 0
        let m = state, v = state + n
        @inline(__always) func group(_ offset: Int, _ lanes: Int) {
            let i = range.lowerBound + offset
            var g = loadLanes(gradients, i, lanes)
            var weights = loadLanes(w, i, lanes)
            if useShrink { weights = weights * shrink }
            if useL2 { g = torchAdd(g, weights, alpha: lambda) }
            // exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            let mi = torchLerp(stateLanes(m, i, lanes, first: first), g, weight: rest1)
            storeLanes(mi, m, i, lanes)
            let vi = torchAddSquare(stateLanes(v, i, lanes, first: first) * decay2, g, scaledBy: rest2)
            storeLanes(vi, v, i, lanes)
            // denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps); two addcdiv_ calls
            let denominator = (vi / correction2).squareRoot() + epsilon
            let afterGradient = weights + gradientScale * g / denominator
            storeLanes(afterGradient + momentScale * mi / denominator, w, i, lanes)
        }
        forEachLaneGroup(range.count, group)
    }
}
