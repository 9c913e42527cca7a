import Foundation

/// Cosine annealing (PyTorch `CosineAnnealingLR`), in PyTorch's closed form `_get_closed_form_lr`:
///
///     lr(k) = η_min + (rate − η_min) · (1 + cos(π·k / T_max)) / 2        for k ≤ T_max
///     lr(k) = η_min                                                       for k > T_max (held)
///
/// PyTorch steps this schedule recursively (each rate from the previous one); the recursion agrees
/// with the closed form to rounding up to T_max, but past T_max both PyTorch forms rise back towards
/// `rate` (a cosine of period 2·T_max). H5Train holds η_min instead, so a run extended past T_max
/// does not restart its learning rate; use ``CosineWarmRestartsSchedule`` for restarts.
public struct CosineAnnealingSchedule: LearningRateSchedule {
    /// The rate at step 0 (PyTorch's base_lr).
    public var rate: Double
    /// T_max: the step at which η_min is reached.
    public var tMax: Int
    /// η_min: the final rate.
    public var etaMin: Double

    public init(rate: Double, tMax: Int, etaMin: Double = 0) {
        precondition(tMax > 0, "T_max must be positive")
        self.rate = rate
        self.tMax = tMax
        self.etaMin = etaMin
    }

    public func learningRate(atStep step: Int) -> Float {
        let k = min(nonNegative(step), tMax)
        return Float(etaMin + (rate - etaMin) * (1 + cos(Double.pi * Double(k) / Double(tMax))) / 2)
    }

    public var endStep: Int? { tMax }

    public var description: String {
        "cosine lr=\(rate) → eta_min=\(etaMin) over T_max=\(tMax) steps: η_min + (lr − η_min)(1 + cos(π·min(k,T_max)/T_max))/2"
    }
}
