import Foundation

/// Exponential decay (PyTorch `ExponentialLR`): lr(k) = rate · γ^k.
///
/// The closed form, in `Double`; PyTorch's chained multiplication differs by rounding only.
public struct ExponentialSchedule: LearningRateSchedule {
    public var rate: Double
    public var gamma: Double

    public init(rate: Double, gamma: Double) {
        self.rate = rate
        self.gamma = gamma
    }

    public func learningRate(atStep step: Int) -> Float {
        Float(rate * pow(gamma, Double(nonNegative(step))))
    }

    public var description: String { "exponential lr=\(rate) γ=\(gamma): lr·γ^k" }
}
