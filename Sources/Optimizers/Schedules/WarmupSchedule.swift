/// A linear warm-up in front of any schedule, like PyTorch's `LinearLR(start_factor, 1.0, W)`
/// followed by the schedule in `SequentialLR(milestones: [W])`:
///
///     lr(k) = target · (s + (1 − s) · k/W)       for k < W          target = schedule(0)
///     lr(k) = schedule(k − W)                    for k ≥ W
///
/// with W = warmupSteps and s = startFactor: the rate climbs linearly from s·target and meets the
/// wrapped schedule, which then starts from its own step 0 (as SequentialLR restarts it). The target
/// is the wrapped schedule's first rate (its base rate for the PyTorch schedulers; for one-cycle and
/// cyclic the rate they start at). Momentum is the wrapped schedule's: its step-0 value during the
/// warm-up, then shifted like the rate.
///
/// A stateful schedule (reduce-on-plateau) cannot be wrapped, as SequentialLR refuses it too: its
/// rate moves only by its own `observe`, so there is nothing for a warm-up to shift.
public struct WarmupSchedule: LearningRateSchedule {
    /// W: the number of warm-up steps (0: no warm-up, the wrapped schedule unchanged).
    public let warmupSteps: Int
    /// s: the fraction of the target rate at step 0.
    public let startFactor: Double
    /// The schedule that runs after the warm-up, from its own step 0.
    public let schedule: any LearningRateSchedule

    public init(warmupSteps: Int, startFactor: Double, then schedule: any LearningRateSchedule) {
        precondition(warmupSteps >= 0, "warm-up steps must not be negative")
        precondition(!schedule.isStateful, "a stateful schedule (reduce-on-plateau) cannot follow a warm-up")
        self.warmupSteps = warmupSteps
        self.startFactor = startFactor
        self.schedule = schedule
    }

    public func learningRate(atStep step: Int) -> Float {
        let k = nonNegative(step)
        guard k < warmupSteps else { return schedule.learningRate(atStep: k - warmupSteps) }
        let target = Double(schedule.learningRate(atStep: 0))
        return Float(target * (startFactor + (1 - startFactor) * Double(k) / Double(warmupSteps)))
    }

    public func momentum(atStep step: Int) -> Float? {
        schedule.momentum(atStep: max(nonNegative(step) - warmupSteps, 0))
    }

    public var endStep: Int? { schedule.endStep.map { $0 + warmupSteps } }

    public static func == (lhs: WarmupSchedule, rhs: WarmupSchedule) -> Bool {
        lhs.warmupSteps == rhs.warmupSteps && lhs.startFactor == rhs.startFactor && lhs.schedule.isEqual(to: rhs.schedule)
    }

    public var description: String {
        "warm-up \(warmupSteps) steps from \(startFactor)× (lr·(s + (1 − s)·k/W), lr = the next schedule's first rate), then \(schedule)"
    }
}
