import XCTest

/// The bound every gradient check in this target asserts: a Float32 analytic gradient must agree with
/// the float64 central-difference gradient to 1e-3 relative error, component by component, where the
/// error of component i is measured against max(|numerical_i|, 1e-3·max_j |numerical_j|) so that
/// components that are (nearly) zero by cancellation are judged on the scale of the whole vector.
/// Float32 rounding contributes ~1e-6 and the h = 1e-6 central difference ~1e-10, so a correct
/// gradient sits orders of magnitude inside the bound, while a wrong factor, sign or index does not.
let gradientRelativeTolerance = 1e-3

/// Step of the central differences; the functions checked are smooth on [x − h, x + h] because
/// every test keeps its points at least 1e-2 away from any kink.
let finiteDifferenceStep = 1e-6

/// ∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every i, all in float64.
func centralDifferenceGradient(of f: ([Double]) -> Double, at x: [Double], step h: Double = finiteDifferenceStep) -> [Double] {
    var probe = x
    return x.indices.map { i in
        probe[i] = x[i] + h
        let plus = f(probe)
        probe[i] = x[i] - h
        let minus = f(probe)
        probe[i] = x[i]
        return (plus - minus) / (2 * h)
    }
}

/// Asserts the analytic (module, Float32) gradient matches the numerical (test, float64) one within
/// `gradientRelativeTolerance`, and that the numerical gradient is not identically zero (a check
/// against all zeros would pass an analytic gradient of all zeros).
func assertGradientsMatch(
    analytic: [Float], numerical: [Double], _ label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(analytic.count, numerical.count, "\(label): gradient sizes differ", file: file, line: line)
    let scale = numerical.map(abs).max() ?? 0
    XCTAssertGreaterThan(scale, 1e-6, "\(label): numerical gradient vanishes, the check would be vacuous", file: file, line: line)
    var worst = 0.0, worstIndex = 0
    for (i, (a, n)) in zip(analytic, numerical).enumerated() {
        let relative = abs(Double(a) - n) / max(abs(n), 1e-3 * scale)
        let error = relative.isNaN ? Double.infinity : relative  // a NaN gradient is the worst error
        if error > worst { worst = error; worstIndex = i }
    }
    XCTAssertLessThanOrEqual(worst, gradientRelativeTolerance,
                             "\(label): component \(worstIndex) analytic \(analytic[worstIndex]) vs numerical \(numerical[worstIndex]) (relative error \(worst))",
                             file: file, line: line)
}
