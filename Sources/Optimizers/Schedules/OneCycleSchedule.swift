import Foundation

/// The 1cycle policy (PyTorch `OneCycleLR`), with optional momentum cycled inversely.
///
/// With T = totalSteps, p = pctStart, initial = maxRate/divFactor, min = initial/finalDivFactor, the
/// schedule runs through phases, each annealing from a start to an end value as its fraction
/// pct = (k − previous phase end)/(phase end − previous phase end) goes from 0 to 1 (the first phase
/// starts at 0):
///
///     two-phase:   ends p·T − 1, T − 1;            lr initial → max → min;          momentum max → base → max
///     three-phase: ends p·T − 1, 2p·T − 2, T − 1;  lr initial → max → initial → min; momentum max → base → max → max
///
///     cos:    anneal(a, b, pct) = b + (a − b)/2 · (1 + cos(π·pct))
///     linear: anneal(a, b, pct) = (b − a)·pct + a
///
/// Phase ends are real numbers (e.g. 0.25·62 − 1 = 14.5), exactly as PyTorch computes them in float64.
/// The last step is T − 1 (value min); the rate and momentum are held there for all later steps,
/// where PyTorch raises (after one extra step that extrapolates past min, negative for `linear`).
/// A zero-length phase (PyTorch: ZeroDivisionError) takes its end value.
public struct OneCycleSchedule: LearningRateSchedule {
    /// PyTorch's `anneal_strategy`; raw values are PyTorch's names.
    public enum AnnealStrategy: String, Sendable, CaseIterable {
        case cos
        case linear
    }

    /// The peak rate (PyTorch's max_lr).
    public var maxRate: Double
    /// T: the number of steps in the cycle; the last is T − 1.
    public var totalSteps: Int
    /// The fraction of the steps spent raising the rate.
    public var pctStart: Double
    public var annealStrategy: AnnealStrategy
    /// The initial rate is maxRate / divFactor.
    public var divFactor: Double
    /// The final rate is initial rate / finalDivFactor.
    public var finalDivFactor: Double
    /// Whether to add a third phase (PyTorch's `three_phase`): see the type's documentation.
    public var threePhase: Bool
    /// Whether ``momentum(atStep:)`` cycles momentum (PyTorch's `cycle_momentum`, on by default there
    /// and here); when false it returns nil and the optimizer keeps its own momentum.
    public var cycleMomentum: Bool
    /// The momentum at the peak rate.
    public var baseMomentum: Double
    /// The momentum at the start and the end.
    public var maxMomentum: Double

    public init(
        maxRate: Double, totalSteps: Int, pctStart: Double = 0.3, annealStrategy: AnnealStrategy = .cos,
        divFactor: Double = 25, finalDivFactor: Double = 1e4, threePhase: Bool = false,
        cycleMomentum: Bool = true, baseMomentum: Double = 0.85, maxMomentum: Double = 0.95
    ) {
        precondition(totalSteps > 0, "total steps must be positive")
        precondition(pctStart >= 0 && pctStart <= 1, "pct_start must be in [0, 1]")
        precondition(divFactor > 0 && finalDivFactor > 0, "div factors must be positive")
        self.maxRate = maxRate
        self.totalSteps = totalSteps
        self.pctStart = pctStart
        self.annealStrategy = annealStrategy
        self.divFactor = divFactor
        self.finalDivFactor = finalDivFactor
        self.threePhase = threePhase
        self.cycleMomentum = cycleMomentum
        self.baseMomentum = baseMomentum
        self.maxMomentum = maxMomentum
    }

    /// The rate at step 0: maxRate / divFactor.
    public var initialRate: Double { maxRate / divFactor }
    /// The rate at the last step: initialRate / finalDivFactor.
    public var minimumRate: Double { initialRate / finalDivFactor }

    private struct Phase {
        var end: Double
        var rates: (start: Double, end: Double)
        var momenta: (start: Double, end: Double)
    }

    private var phases: [Phase] {
        let total = Double(totalSteps)
        let initial = initialRate, peak = maxRate, minimum = minimumRate
        let up = Phase(end: pctStart * total - 1, rates: (initial, peak), momenta: (maxMomentum, baseMomentum))
        if threePhase {
            return [
                up,
                Phase(end: 2 * pctStart * total - 2, rates: (peak, initial), momenta: (baseMomentum, maxMomentum)),
                Phase(end: Double(totalSteps - 1), rates: (initial, minimum), momenta: (maxMomentum, maxMomentum)),
            ]
        }
        return [up, Phase(end: Double(totalSteps - 1), rates: (peak, minimum), momenta: (baseMomentum, maxMomentum))]
    }

    /// The phase containing `step` (held at T − 1 past the end) and the fraction of it done.
    private func position(atStep step: Int) -> (phase: Phase, pct: Double) {
        let k = Double(min(nonNegative(step), totalSteps - 1))
        let phases = phases
        var start = 0.0
        for (i, phase) in phases.enumerated() {
            if k <= phase.end || i == phases.count - 1 {
                let span = phase.end - start
                return (phase, span == 0 ? 1 : (k - start) / span)
            }
            start = phase.end
        }
        preconditionFailure("unreachable: the last phase always matches")
    }

    private func anneal(_ from: Double, _ to: Double, _ pct: Double) -> Double {
        switch annealStrategy {
        case .cos: to + (from - to) / 2.0 * (cos(Double.pi * pct) + 1)
        case .linear: (to - from) * pct + from
        }
    }

    public func learningRate(atStep step: Int) -> Float {
        let (phase, pct) = position(atStep: step)
        return Float(anneal(phase.rates.start, phase.rates.end, pct))
    }

    public func momentum(atStep step: Int) -> Float? {
        guard cycleMomentum else { return nil }
        let (phase, pct) = position(atStep: step)
        return Float(anneal(phase.momenta.start, phase.momenta.end, pct))
    }

    public var endStep: Int? { totalSteps - 1 }

    public var description: String {
        let shape = threePhase ? "\(initialRate) → \(maxRate) → \(initialRate) → \(minimumRate)" : "\(initialRate) → \(maxRate) → \(minimumRate)"
        let momentum = cycleMomentum ? ", momentum \(maxMomentum) ↔ \(baseMomentum) inversely" : ""
        return "onecycle lr \(shape) (\(annealStrategy.rawValue) anneal) over \(totalSteps) steps, peak at step \(pctStart)·\(totalSteps) − 1\(momentum); held after step \(totalSteps - 1)"
    }
}
