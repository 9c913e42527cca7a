import Foundation

/// Polynomial decay to zero (PyTorch `PolynomialLR`):
///
///     lr(k) = rate · (1 − min(k, T)/T)^power        T = totalSteps
///
/// reaching 0 at step T and held there (as PyTorch does too).
public struct PolynomialSchedule: LearningRateSchedule {
    public var rate: Double
    /// T: the step at which the rate reaches 0.
    public var totalSteps: Int
    public var power: Double

    public init(rate: Double, totalSteps: Int, power: Double = 1) {
        precondition(totalSteps > 0, "total steps must be positive")
        self.rate = rate
        self.totalSteps = totalSteps
        self.power = power
    }

    public func learningRate(atStep step: Int) -> Float {
        let k = min(nonNegative(step), totalSteps)
        return Float(rate * pow(1.0 - Double(k) / Double(totalSteps), power))
    }

    public var endStep: Int? { totalSteps }

    public var description: String {
        "polynomial lr=\(rate) over \(totalSteps) steps, power \(power): lr·(1 − min(k,\(totalSteps))/\(totalSteps))^\(power)"
    }
}
