/// Linear change of a factor of the rate (PyTorch `LinearLR`):
///
///     lr(k) = rate · (start + (end − start) · min(k, T)/T)        T = totalSteps
///
/// held at rate·end from step T on. PyTorch's closed form, in `Double`.
public struct LinearSchedule: LearningRateSchedule {
    public var rate: Double
    public var startFactor: Double
    public var endFactor: Double
    /// T: the step at which the factor reaches `endFactor`.
    public var totalSteps: Int

    public init(rate: Double, startFactor: Double = 1.0 / 3, endFactor: Double = 1, totalSteps: Int = 5) {
        precondition(totalSteps > 0, "total steps must be positive")
        self.rate = rate
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalSteps = totalSteps
    }

    public func learningRate(atStep step: Int) -> Float {
        let k = min(nonNegative(step), totalSteps)
        return Float(rate * (startFactor + (endFactor - startFactor) * Double(k) / Double(totalSteps)))
    }

    public var endStep: Int? { totalSteps }

    public var description: String {
        "linear lr=\(rate) factor \(startFactor) → \(endFactor) over \(totalSteps) steps: lr·(s + (e − s)·min(k,\(totalSteps))/\(totalSteps))"
    }
}
