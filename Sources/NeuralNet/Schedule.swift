/// A learning rate as a pure function of the global optimizer step.
///
/// No hidden counters: the value at step k depends only on k and the schedule's parameters, so a
/// resumed or re-sharded run sees exactly the rates the uninterrupted one would.
public protocol LearningRateSchedule: Sendable, CustomStringConvertible {
    /// The learning rate for optimizer step `step` (0 for the first update).
    func learningRate(atStep step: Int) -> Float
}

/// The same rate at every step.
public struct ConstantSchedule: LearningRateSchedule {
    public var rate: Float
    public init(rate: Float) { self.rate = rate }
    public func learningRate(atStep step: Int) -> Float { rate }
    public var description: String { "constant lr=\(rate)" }
}

/// Step decay (PyTorch `StepLR`): rate · γ^⌊step / stepSize⌋.
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
        for _ in 0..<(max(step, 0) / stepSize) { value *= gamma }
        return value
    }

    public var description: String { "step lr=\(rate) every \(stepSize) steps ×\(gamma)" }
}
