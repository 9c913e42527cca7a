/// An update rule applied element-wise to flat parameter, gradient and state buffers.
///
/// State lives in `stateCount` buffers of `parameterCount` floats each, stored back to back in one
/// allocation (`state[k·parameterCount + i]` is state k of parameter i). `update` touches only the
/// indices in `range`, so the aggregator can split one step over all workers: each element's update
/// depends on nothing but that element, so the result is the same however the range is split.
public protocol Optimizer: Sendable, CustomStringConvertible {
    /// How many parameter-sized state buffers the rule keeps (momentum: 1, Adam: 2, plain SGD: 0).
    var stateCount: Int { get }

    /// Applies one step to `parameters[range]` given the batch-mean gradient.
    ///
    /// - Parameters:
    ///   - step: the global optimizer step, 0 for the first update.
    ///   - learningRate: the schedule's rate for this step.
    func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount: Int,
        range: Range<Int>, learningRate: Float, step: Int
    )
}

/// Stochastic gradient descent with optional momentum, Nesterov momentum, dampening and L2 weight
/// decay, with exactly PyTorch's `torch.optim.SGD` semantics:
///
///     g ← g + λ·w                      (weight decay λ)
///     b ← g on the first step, else μ·b + (1 − dampening)·g
///     g ← g + μ·b (Nesterov) or b
///     w ← w − η·g
public struct SGD: Optimizer {
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
        let mu = momentum, lambda = weightDecay, keep = 1 - dampening
        if mu == 0 {
            for i in range { w[i] -= lr * (gradients[i] + lambda * w[i]) }
            return
        }
        let buffer = state  // momentum buffer b
        for i in range {
            let g = gradients[i] + lambda * w[i]
            let b = step == 0 ? g : mu * buffer[i] + keep * g
            buffer[i] = b
            w[i] -= lr * (nesterov ? g + mu * b : b)
        }
    }
}
