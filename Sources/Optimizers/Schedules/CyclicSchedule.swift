import Foundation

/// Cyclical learning rate, CLR (PyTorch `CyclicLR`), with optional momentum cycled inversely.
///
/// With up = stepSizeUp, down = stepSizeDown, total = up + down, all in `Double` as PyTorch does:
///
///     cycle = ⌊1 + k/total⌋                       (1 for the first cycle)
///     x     = 1 + k/total − cycle                 (position in the cycle, 0 ≤ x < 1)
///     h     = x / r            if x ≤ r,  else (x − 1)/(r − 1)       r = up/total
///     lr(k) = baseRate + (maxRate − baseRate) · h · s
///     m(k)  = maxMomentum − (maxMomentum − baseMomentum) · h · s     (if cycleMomentum)
///
/// with the scale s = 1 (triangular), 1/2^(cycle−1) (triangular2: the amplitude halves every cycle)
/// or γ^k (exp_range: per step, not per cycle). The rate rises from baseRate for `up` steps and falls
/// back for `down` steps; momentum does the opposite. No end: the cycles go on forever.
public struct CyclicSchedule: LearningRateSchedule {
    /// PyTorch's `mode`; raw values are PyTorch's names.
    public enum Mode: String, Sendable, CaseIterable {
        case triangular
        case triangular2
        case expRange = "exp_range"
    }

    /// The lower rate, at the start of each cycle (PyTorch's base_lr).
    public var baseRate: Double
    /// The upper rate, at the peak of the first cycle (PyTorch's max_lr).
    public var maxRate: Double
    /// Steps of the rising half of a cycle.
    public var stepSizeUp: Int
    /// Steps of the falling half of a cycle.
    public var stepSizeDown: Int
    public var mode: Mode
    /// γ of `exp_range`; ignored by the other modes.
    public var gamma: Double
    /// Whether ``momentum(atStep:)`` cycles momentum (PyTorch's `cycle_momentum`, on by default there
    /// and here); when false it returns nil and the optimizer keeps its own momentum.
    public var cycleMomentum: Bool
    /// The momentum at the peak rate.
    public var baseMomentum: Double
    /// The momentum at the lowest rate.
    public var maxMomentum: Double

    /// - Parameter stepSizeDown: nil for the same as `stepSizeUp`.
    public init(
        baseRate: Double, maxRate: Double, stepSizeUp: Int = 2000, stepSizeDown: Int? = nil,
        mode: Mode = .triangular, gamma: Double = 1,
        cycleMomentum: Bool = true, baseMomentum: Double = 0.8, maxMomentum: Double = 0.9
    ) {
        precondition(stepSizeUp > 0, "step size up must be positive")
        precondition((stepSizeDown ?? stepSizeUp) >= 0, "step size down must not be negative")
        self.baseRate = baseRate
        self.maxRate = maxRate
        self.stepSizeUp = stepSizeUp
        self.stepSizeDown = stepSizeDown ?? stepSizeUp
        self.mode = mode
        self.gamma = gamma
        self.cycleMomentum = cycleMomentum
        self.baseMomentum = baseMomentum
        self.maxMomentum = maxMomentum
    }

    /// h · s at `step`: the fraction of the amplitude reached, PyTorch's scale_factor · scale_fn.
    private func heightAndScale(atStep step: Int) -> (height: Double, scale: Double) {
        let k = Double(nonNegative(step))
        let total = Double(stepSizeUp) + Double(stepSizeDown)
        let ratio = Double(stepSizeUp) / total
        let cycle = (1 + k / total).rounded(.down)
        let x = 1.0 + k / total - cycle
        let height = x <= ratio ? x / ratio : (x - 1) / (ratio - 1)
        let scale: Double = switch mode {
        case .triangular: 1.0
        case .triangular2: 1 / pow(2.0, cycle - 1)
        case .expRange: pow(gamma, k)
        }
        return (height, scale)
    }

    public func learningRate(atStep step: Int) -> Float {
        let (height, scale) = heightAndScale(atStep: step)
        return Float(baseRate + (maxRate - baseRate) * height * scale)
    }

    public func momentum(atStep step: Int) -> Float? {
        guard cycleMomentum else { return nil }
        let (height, scale) = heightAndScale(atStep: step)
        return Float(maxMomentum - (maxMomentum - baseMomentum) * height * scale)
    }

    public var description: String {
        let scale = switch mode {
        case .triangular: "1"
        case .triangular2: "1/2^(cycle−1)"
        case .expRange: "\(gamma)^k"
        }
        let momentum = cycleMomentum ? ", momentum \(maxMomentum) → \(baseMomentum) inversely" : ""
        return "cyclic \(mode.rawValue) lr=\(baseRate)…\(maxRate), \(stepSizeUp) steps up, \(stepSizeDown) down\(momentum): base + (max − base)·h(k)·\(scale), h a triangle wave 0 → 1 → 0"
    }
}
