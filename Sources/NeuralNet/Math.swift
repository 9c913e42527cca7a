#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Thin names for the C math functions, so the numerical code reads like its formulas and
// works the same on Linux and macOS.
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func _exp(_ x: Float) -> Float { expf(x) }
@inline(__always) func _expD(_ x: Double) -> Double { exp(x) }
@inline(__always) func _tanh(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func _log1p(_ x: Float) -> Float { log1pf(x) }

/// Index of the largest of `count` values (the first one on ties): the predicted class.
@inline(__always)
public func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for i in 1..<max(count, 1) where values[i] > values[best] { best = i }
    return best
}

/// The pieces of a row's log-sum-exp, log Σ e^{x_c} = m + log Σ e^{x_c − m} with m the row's
/// maximum, so no exponential overflows for any logits.
struct LogSumExp {
    /// m, the largest entry.
    let maximum: Float
    /// Σ_c e^{x_c − m}, in Double.
    let sum: Double

    @inline(__always)
    init(_ row: UnsafePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for c in 0..<count where row[c] > maximum { maximum = row[c] }
        var sum: Double = 0
        for c in 0..<count { sum += _expD(Double(row[c] - maximum)) }
        (self.maximum, self.sum) = (maximum, sum)
    }

    /// m + log Σ e^{x_c − m}.
    var value: Double { Double(maximum) + _log(sum) }
}
