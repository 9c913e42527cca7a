import Foundation

/// Decay at given steps (PyTorch `MultiStepLR`): lr(k) = rate · γ^n(k), where n(k) is the number
/// of milestones ≤ k.
///
/// Milestones need not be sorted; a milestone listed twice decays twice at that step (PyTorch keeps
/// them in a `Counter`). PyTorch's closed form `_get_closed_form_lr`, computed in `Double`.
public struct MultiStepSchedule: LearningRateSchedule {
    public var rate: Double
    /// Steps at which the rate is multiplied by `gamma` (from that step on).
    public var milestones: [Int]
    public var gamma: Double

    public init(rate: Double, milestones: [Int], gamma: Double = 0.1) {
        self.rate = rate
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }

    public func learningRate(atStep step: Int) -> Float {
        let k = nonNegative(step)
        let passed = milestones.reduce(0) { $0 + ($1 <= k ? 1 : 0) }
        return Float(rate * pow(gamma, Double(passed)))
    }

    public var description: String {
        "multistep lr=\(rate) ×\(gamma) at steps \(milestones): lr·γ^(number of milestones ≤ k)"
    }
}
