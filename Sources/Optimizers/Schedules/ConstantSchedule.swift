/// The same rate at every step: lr(k) = rate.
public struct ConstantSchedule: LearningRateSchedule {
    public var rate: Float
    public init(rate: Float) { self.rate = rate }
    public func learningRate(atStep step: Int) -> Float { rate }
    public var description: String { "constant lr=\(rate)" }
}
