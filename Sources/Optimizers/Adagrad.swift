import NeuralNet

/// Adagrad with exactly PyTorch's `torch.optim.Adagrad` semantics (dense gradients):
///
///     g ← g + λ·w                            (weight decay λ)
///     η_t ← η / (1 + (t − 1)·lr_decay)       (t = step + 1)
///     s ← s + g²                              (s starts at initial_accumulator_value)
///     w ← w − η_t·g / (√s + ε)
///
/// PyTorch's defaults: lr 0.01, lr_decay 0, weight_decay 0, initial_accumulator_value 0, eps 1e-10.
///
/// State: the sum of squares s (1 buffer). On the first step its stored contents are ignored and
/// `initialAccumulatorValue` is used instead, as PyTorch fills the sum when it creates the state.
public struct Adagrad: Optimizer, Equatable {
    /// PyTorch's default learning rate for Adagrad.
    public static let defaultLearningRate: Float = 0.01

    /// Learning-rate decay: step t uses η / (1 + (t − 1)·lrDecay).
    public var lrDecay: Double
    /// L2 penalty λ added to the gradient.
    public var weightDecay: Double
    /// The value the sum of squares starts at.
    public var initialAccumulatorValue: Double
    /// ε added to the root of the sum.
    public var eps: Double

    public init(lrDecay: Double = 0, weightDecay: Double = 0, initialAccumulatorValue: Double = 0,
                eps: Double = 1e-10) {
        self.lrDecay = lrDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.eps = eps
    }

    public var name: String { "adagrad" }

    public var stateCount: Int { 1 }

    public var description: String {
        "adagrad lr_decay=\(lrDecay) weight_decay=\(weightDecay) initial_accumulator_value=\(initialAccumulatorValue) eps=\(eps)"
    }

    public func update(
        parameters w: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount n: Int,
        range: Range<Int>, learningRate lr: Float, step: Int
    ) {
        // clr = lr / (1 + (step - 1) * lr_decay) with PyTorch's 1-based step, in Python floats.
        let clr = Double(lr) / (1 + Double(step) * lrDecay)
        let negativeRate = Float(-clr), epsilon = Float(eps), lambda = Float(weightDecay)
        let initial = Float(initialAccumulatorValue)
        let first = step == 0
        let sum = state
        @inline(__always) func group(_ offset: Int, _ lanes: Int) {
            let i = range.lowerBound + offset
            let weights = loadLanes(w, i, lanes)
            let g = gradientLanes(gradients, i, lanes, weights: weights, weightDecay: lambda)
            // state_sum.addcmul_(grad, grad, value=1); std = state_sum.sqrt().add_(eps)
            let s = torchAddSquare(first ? Lanes(repeating: initial) : loadLanes(sum, i, lanes), g, scaledBy: 1)
            storeLanes(s, sum, i, lanes)
            let std = s.squareRoot() + epsilon
            // param.addcdiv_(grad, std, value=-clr)
            storeLanes(weights + negativeRate * g / std, w, i, lanes)
        }
        forEachLaneGroup(range.count, group)
    }
}
