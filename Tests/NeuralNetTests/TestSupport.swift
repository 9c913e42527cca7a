import NeuralNet
import Optimizers
import XCTest

/// Deterministic test data from SplitMix64 (Steele, Lea & Flood 2014), kept independent of the
/// module's own `Xoshiro256` so that the generator under test never produces its own test inputs.
struct TestRNG {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(nextUInt64() >> 11) * 0x1.0p-53
    }

    /// `count` Floats uniform in [low, high), rejecting any with |x| < `avoiding` (to stay off kinks).
    mutating func floats(_ count: Int, in low: Double, _ high: Double, avoiding gap: Double = 0) -> [Float] {
        var values: [Float] = []
        while values.count < count {
            let x = Float(uniform(low, high))
            if abs(x) >= Float(gap) { values.append(x) }
        }
        return values
    }

    /// `values` in a random order (Fisher–Yates).
    mutating func shuffled<T>(_ values: [T]) -> [T] {
        var values = values
        for i in values.indices.dropLast().reversed() {
            values.swapAt(i, i + Int(nextUInt64() % UInt64(values.count - i)))
        }
        return values
    }
}

/// Sample moments in float64, with the standard errors used by the statistical tests.
struct SampleStatistics {
    let count: Int
    let mean: Double
    let variance: Double  // unbiased
    let minimum: Double
    let maximum: Double

    init<S: Sequence>(_ values: S) where S.Element: BinaryFloatingPoint {
        var n = 0, sum = 0.0, lo = Double.infinity, hi = -Double.infinity
        for v in values { let x = Double(v); n += 1; sum += x; lo = min(lo, x); hi = max(hi, x) }
        let mean = sum / Double(n)
        var squares = 0.0
        for v in values { let d = Double(v) - mean; squares += d * d }
        self.count = n
        self.mean = mean
        self.variance = squares / Double(n - 1)
        self.minimum = lo
        self.maximum = hi
    }

    /// Standard error of the sample mean for a population of variance σ².
    func meanStandardError(populationVariance: Double) -> Double {
        (populationVariance / Double(count)).squareRoot()
    }

    /// Standard error of the sample variance: √((μ₄ − σ⁴)/N) with μ₄ = kurtosis·σ⁴
    /// (kurtosis 3 for a normal law, 9/5 for a uniform one).
    func varianceStandardError(populationVariance: Double, kurtosis: Double) -> Double {
        populationVariance * ((kurtosis - 1) / Double(count)).squareRoot()
    }
}

/// Asserts |actual − expected| ≤ tolerance·max(|expected|, floor) and names the quantity on failure.
func assertRelativelyEqual(
    _ actual: Double, _ expected: Double, tolerance: Double, floor: Double = 0, _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let scale = max(abs(expected), floor)
    XCTAssert(actual.isFinite, "\(label): \(actual) is not finite", file: file, line: line)
    XCTAssertLessThanOrEqual(abs(actual - expected), tolerance * scale,
                             "\(label): got \(actual), expected \(expected) (relative tolerance \(tolerance))",
                             file: file, line: line)
}

// MARK: Array wrappers of the module's pointer API

/// The activation applied to a copy of `z` (rows × columns).
func applied(_ activation: Activation, to z: [Float], columns: Int) -> [Float] {
    var y = z
    y.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, rows: z.count / columns, columns: columns) }
    return y
}

/// ∂L/∂z from the activation's output y and ∂L/∂y.
func backward(_ activation: Activation, output y: [Float], gradient: [Float], columns: Int) -> [Float] {
    var g = gradient
    y.withUnsafeBufferPointer { yp in
        g.withUnsafeMutableBufferPointer { gp in
            activation.backward(output: yp.baseAddress!, gradient: gp.baseAddress!, rows: y.count / columns, columns: columns)
        }
    }
    return g
}

/// `Loss.lossAndGradient` over rows × width outputs; the gradient buffer starts filled with `fill`,
/// so an entry the loss fails to write shows up.
func lossAndGradient(_ loss: Loss, outputs: [Float], targets: [Float], width: Int, fill: Float = .nan) -> (value: Double, gradient: [Float]) {
    var gradient = [Float](repeating: fill, count: outputs.count)
    let value = outputs.withUnsafeBufferPointer { o in
        targets.withUnsafeBufferPointer { t in
            gradient.withUnsafeMutableBufferPointer { g in
                loss.lossAndGradient(outputs: o.baseAddress!, targets: t.baseAddress!, rows: outputs.count / width, width: width,
                                     gradient: g.baseAddress!)
            }
        }
    }
    return (value, gradient)
}
