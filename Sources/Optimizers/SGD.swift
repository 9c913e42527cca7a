import NeuralNet

/// Stochastic gradient descent with optional momentum, Nesterov momentum, dampening and L2 weight
/// decay, with exactly PyTorch's `torch.optim.SGD` semantics:
///
///     g ← g + λ·w                      (weight decay λ)
///     b ← g on the first step, else μ·b + (1 − dampening)·g
///     g ← g + μ·b (Nesterov) or b
///     w ← w − η·g
///
/// PyTorch's defaults: lr 1e-3, momentum 0, dampening 0, weight_decay 0, nesterov false. State: the
/// momentum buffer b (1 buffer) when momentum ≠ 0, else none.
public struct SGD: Optimizer, Equatable {
    /// PyTorch's default learning rate for SGD.
    public static let defaultLearningRate: Float = 1e-3

    public var momentum: Float
    public var weightDecay: Float
    public var dampening: Float
    public var nesterov: Bool

    public init(momentum: Float = 0, weightDecay: Float = 0, dampening: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.dampening = dampening
        self.nesterov = nesterov
    }

    public var name: String { "sgd" }

    public func cyclingMomentum(_ momentum: Float) -> SGD {
        guard self.momentum != 0 else { return self }
        var copy = self
        copy.momentum = momentum
        return copy
    }

    public var stateCount: Int { momentum == 0 ? 0 : 1 }

    public var description: String {
        var parts = ["sgd", "momentum=\(momentum)"]
        if nesterov { parts.append("nesterov") }
        if dampening != 0 { parts.append("dampening=\(dampening)") }
        if weightDecay != 0 { parts.append("weight_decay=\(weightDecay)") }
        return parts.joined(separator: " ")
    }

    public func update(
        parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount: Int,
        range: Range<Int>, learningRate lr: Float, step: Int
    ) {
        // PyTorch: grad.add(param, alpha=λ); buf.mul_(μ).add_(grad, alpha=1 − dampening);
        // grad.add(buf, alpha=μ); param.add_(grad, alpha=−lr) — each add(alpha:) a multiply-add
        // (torchAdd), here eight lanes at a time with the same operations per lane.
        _ = apply(parameters: w, gradients: gradients, state: state, range: range, learningRate: lr, step: step,
                  measuring: false)
    }

    public func updateMeasuring(
        parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount: Int,
        range: Range<Int>, learningRate lr: Float, step: Int
    ) -> Double {
        apply(parameters: w, gradients: gradients, state: state, range: range, learningRate: lr, step: step,
              measuring: true)
    }

    /// The update loop; with `measuring`, also Σ g² of the incoming gradient in `sumOfSquares`' order.
    @inline(__always)
    private func apply(
        parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>,
        range: Range<Int>, learningRate lr: Float, step: Int, measuring: Bool
    ) -> Double {
        // PyTorch: grad.add(param, alpha=λ); buf.mul_(μ).add_(grad, alpha=1 − dampening);
        // grad.add(buf, alpha=μ); param.add_(grad, alpha=−lr) — each add(alpha:) a multiply-add
        // (torchAdd), here eight lanes at a time with the same operations per lane.
        let mu = momentum, lambda = weightDecay, negativeRate = -lr
        let keep = Float(1 - Double(dampening))  // Python computes 1 − dampening in double
        let buffer = state  // momentum buffer b
        let first = step == 0, nesterov = nesterov
        var squares = Lanes()
        @inline(__always) func group(_ offset: Int, _ lanes: Int) {
            let i = range.lowerBound + offset
            let weights = loadLanes(w, i, lanes)
            var g = loadLanes(gradients, i, lanes)
            if measuring { squares += g * g }
            if lambda != 0 { g = lambda * weights + g }
            guard mu != 0 else {
                storeLanes(negativeRate * g + weights, w, i, lanes)
                return
            }
            let b = first ? g : keep * g + loadLanes(buffer, i, lanes) * mu
            storeLanes(b, buffer, i, lanes)
            storeLanes(negativeRate * (nesterov ? mu * b + g : b) + weights, w, i, lanes)
        }
        forEachLaneGroup(range.count, group)
        return Double(squares.sum())
    }
}
