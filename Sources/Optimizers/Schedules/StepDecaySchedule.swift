/// Step decay (PyTorch `StepLR`): lr(k) = rate · γ^⌊k / stepSize⌋.
///
/// Computed in `Float` by repeated multiplication (⌊k / stepSize⌋ products), as PyTorch's chained
/// form does; after n decays it may differ from the exact power by about n half-ulps.
public struct StepDecaySchedule: LearningRateSchedule {
    public var rate: Float
    /// Steps between decays (an epoch count times steps per epoch when given per epoch).
    public var stepSize: Int
    public var gamma: Float

    public init(rate: Float, stepSize: Int, gamma: Float) {
        precondition(stepSize > 0, "step size must be positive")
        self.rate = rate
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(atStep step: Int) -> Float {
        // Repeated multiplication, as PyTorch's chained form does, keeps the values bit-comparable.
        var value = rate
        var decays = max(step, 0) / stepSize
        // Stop once further products cannot change the value, so huge steps cost nothing.
        while decays > 0 && gamma != 1 && value != 0 && value.isFinite {
            value *= gamma
            decays -= 1
        }
        return value
    }

    public var description: String { "step lr=\(rate) every \(stepSize) steps ×\(gamma)" }
}
