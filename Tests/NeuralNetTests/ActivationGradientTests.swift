import XCTest
import NeuralNet

/// `Activation.backward(output:gradient:)` against float64 central differences of L = Σ c_i·y_i,
/// with y computed by `Reference.activate` (an independent float64 forward). Relative error bound:
/// `gradientRelativeTolerance` (1e-3, Float32 analytic vs float64 numerical; see FiniteDifference.swift).
final class ActivationGradientTests: XCTestCase {
    private let rows = 3, columns = 5

    /// Points are drawn from [−3, 3] with |z| ≥ 1e-2, so relu and leaky relu are never probed
    /// across their kink at 0 (h = 1e-6); both signs are required to occur so both branches are checked.
    private func checkBackward(_ activation: Activation, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: seed)
        let z = rng.floats(rows * columns, in: -3, 3, avoiding: 1e-2)
        let c = rng.floats(rows * columns, in: -1, 1)
        XCTAssert(z.contains { $0 < 0 } && z.contains { $0 > 0 }, "test points must cover both signs", file: file, line: line)

        // Forward: the module's Float32 output against the float64 reference.
        let y = applied(activation, to: z, columns: columns)
        let expected = Reference.activate(activation, z.map(Double.init), columns: columns)
        for (i, (got, want)) in zip(y, expected).enumerated() {
            assertRelativelyEqual(Double(got), want, tolerance: 1e-5, floor: 1e-6, "\(activation) y[\(i)]", file: file, line: line)
        }

        // Backward: ∂L/∂z from the output y and ∂L/∂y = c.
        let g = backward(activation, output: y, gradient: c, columns: columns)
        let weights = c.map(Double.init)
        let numerical = centralDifferenceGradient(of: { zd in
            zip(weights, Reference.activate(activation, zd, columns: columns)).reduce(0) { $0 + $1.0 * $1.1 }
        }, at: z.map(Double.init))
        assertGradientsMatch(analytic: g, numerical: numerical, "\(activation)", file: file, line: line)
    }

    func testIdentityBackward() { checkBackward(.identity, seed: 11) }
    func testSigmoidBackward() { checkBackward(.sigmoid, seed: 12) }
    func testTanhBackward() { checkBackward(.tanh, seed: 13) }
    func testReLUBackward() { checkBackward(.relu, seed: 14) }
    func testLeakyReLUDefaultSlopeBackward() { checkBackward(.leakyReLU(slope: 0.01), seed: 15) }
    func testLeakyReLUKerasSlopeBackward() { checkBackward(.leakyReLU(slope: 0.3), seed: 16) }
    /// Three rows: softmax is row-wise, so each row's Jacobian must only mix that row.
    func testSoftmaxBackward() { checkBackward(.softmax, seed: 17) }

    /// Log-softmax, the partner of the NLL loss: also row-wise.
    func testLogSoftmaxBackward() { checkBackward(.logSoftmax, seed: 19) }

    func testStepPassesNoGradientAndIsNotTrainable() {
        let y = applied(.step, to: [-2, -0.5, 0.25, 3, 1e-3, -1e-3, 0, 7, -7], columns: 3)
        XCTAssertEqual(y, [0, 0, 1, 1, 1, 0, 0, 1, 0])
        let g = backward(.step, output: y, gradient: [1, -2, 3, -4, 5, -6, 7, -8, 9], columns: 3)
        XCTAssertEqual(g, [Float](repeating: 0, count: 9))
        XCTAssertFalse(Activation.step.isTrainable)
        for activation in Activation.all where activation != .step {
            XCTAssertTrue(activation.isTrainable, "\(activation)")
        }
    }
}
