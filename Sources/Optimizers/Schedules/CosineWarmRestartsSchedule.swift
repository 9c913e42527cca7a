import Foundation

/// Cosine annealing with warm restarts, SGDR (PyTorch `CosineAnnealingWarmRestarts`):
///
///     lr(k) = η_min + (rate − η_min) · (1 + cos(π·T_cur / T_i)) / 2
///
/// where cycle i lasts T_i = T_0·T_mult^i steps and T_cur counts the steps since the cycle began
/// (the rate jumps back to `rate` at each restart: steps T_0, T_0 + T_0·T_mult, …). T_cur and T_i
/// are found with integer arithmetic, exactly as PyTorch's per-step counters reach them (PyTorch's
/// own epoch form uses a floating-point logarithm instead). No end: the cycles go on forever.
public struct CosineWarmRestartsSchedule: LearningRateSchedule {
    /// The rate at the start of every cycle (PyTorch's base_lr).
    public var rate: Double
    /// T_0: length of the first cycle in steps.
    public var t0: Int
    /// T_mult: each cycle is this many times longer than the one before (an integer ≥ 1).
    public var tMult: Int
    /// η_min: the rate approached at the end of every cycle.
    public var etaMin: Double

    public init(rate: Double, t0: Int, tMult: Int = 1, etaMin: Double = 0) {
        precondition(t0 > 0, "T_0 must be positive")
        precondition(tMult >= 1, "T_mult must be an integer ≥ 1")
        self.rate = rate
        self.t0 = t0
        self.tMult = tMult
        self.etaMin = etaMin
    }

    /// (T_cur, T_i) at `step`: the position in the current cycle and that cycle's length.
    public func cyclePosition(atStep step: Int) -> (tCur: Int, tI: Int) {
        var k = nonNegative(step)
        if tMult == 1 { return (k % t0, t0) }
        var length = t0
        while k >= length {
            k -= length
            let (next, overflow) = length.multipliedReportingOverflow(by: tMult)
            // A cycle longer than Int.max steps contains every step that can be asked for.
            if overflow { return (k, Int.max) }
            length = next
        }
        return (k, length)
    }

    public func learningRate(atStep step: Int) -> Float {
        let (tCur, tI) = cyclePosition(atStep: step)
        return Float(etaMin + (rate - etaMin) * (1 + cos(Double.pi * Double(tCur) / Double(tI))) / 2)
    }

    public var description: String {
        "cosine restarts lr=\(rate) eta_min=\(etaMin) T_0=\(t0) T_mult=\(tMult): η_min + (lr − η_min)(1 + cos(π·T_cur/T_i))/2, T_i = T_0·T_mult^cycle"
    }
}
