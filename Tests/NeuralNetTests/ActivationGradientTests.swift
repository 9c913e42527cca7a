import HDF5
import NeuralNet
import XCTest

/// `Activation.backward` against float64 central differences of L = Σ c_i·y_i, with y computed by
/// `Reference.activate` (an independent float64 forward). Relative error bound:
/// `gradientRelativeTolerance` (1e-3, Float32 analytic vs float64 numerical; see FiniteDifference.swift).
///
/// The backward pass is called the way the workspace calls it: `backward(input:output:…)` with the
/// pre-activation z only for activations that `needsInput` (GELU, SiLU) and nil for the others, which
/// must manage with y alone.
final class ActivationGradientTests: XCTestCase {
    private let rows = 3, columns = 5

    /// Points are drawn from [−3, 3] (or `range`) with |z| ≥ 1e-2, so relu, leaky relu and ELU are never
    /// probed across their kink at 0 (h = 1e-6); both signs are required to occur so both branches are checked.
    private func checkBackward(_ activation: Activation, seed: UInt64, range: Double = 3,
                               file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: seed)
        let z = rng.floats(rows * columns, in: -range, range, avoiding: 1e-2)
        let c = rng.floats(rows * columns, in: -1, 1)
        XCTAssert(z.contains { $0 < 0 } && z.contains { $0 > 0 }, "test points must cover both signs", file: file, line: line)

        // Forward: the module's Float32 output against the float64 reference.
        let y = applied(activation, to: z, columns: columns)
        let expected = Reference.activate(activation, z.map(Double.init), columns: columns)
        for (i, (got, want)) in zip(y, expected).enumerated() {
            assertRelativelyEqual(Double(got), want, tolerance: 1e-5, floor: 1e-6, "\(activation) y[\(i)]", file: file, line: line)
        }

        // Backward: ∂L/∂z from y (and z when needed) and ∂L/∂y = c.
        let g = backwardKeepingInput(activation, input: activation.needsInput ? z : nil, output: y, gradient: c, columns: columns)
        let weights = c.map(Double.init)
        let numerical = centralDifferenceGradient(of: { zd in
            zip(weights, Reference.activate(activation, zd, columns: columns)).reduce(0) { $0 + $1.0 * $1.1 }
        }, at: z.map(Double.init))
        assertGradientsMatch(analytic: g, numerical: numerical, "\(activation)", file: file, line: line)

        if !activation.needsInput {
            // y-only activations: the output-only entry point, and a z that is kept anyway, change nothing.
            XCTAssertEqual(backward(activation, output: y, gradient: c, columns: columns), g, "\(activation) backward(output:)",
                           file: file, line: line)
            XCTAssertEqual(backwardKeepingInput(activation, input: z, output: y, gradient: c, columns: columns), g,
                           "\(activation) with z given", file: file, line: line)
        }
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

    func testELUDefaultAlphaBackward() { checkBackward(.elu(alpha: 1), seed: 20) }
    /// α ≠ 1: ELU is then not differentiable at 0, and the y + α form must use this α.
    func testELUHalfAlphaBackward() { checkBackward(.elu(alpha: 0.5), seed: 21) }
    /// Down to z = −6, where α·e^z = y + α is small and computed from y by cancellation.
    func testELUWideRangeBackward() { checkBackward(.elu(alpha: 1.5), seed: 22, range: 6) }
    func testGELUBackward() { checkBackward(.gelu, seed: 23) }
    /// Past |z| = 3 the erf tail and the z·φ(z) term matter more.
    func testGELUWideRangeBackward() { checkBackward(.gelu, seed: 24, range: 6) }
    func testGELUTanhBackward() { checkBackward(.geluTanh, seed: 25) }
    func testGELUTanhWideRangeBackward() { checkBackward(.geluTanh, seed: 26, range: 6) }
    func testSiLUBackward() { checkBackward(.silu, seed: 27) }
    func testSiLUWideRangeBackward() { checkBackward(.silu, seed: 28, range: 8) }
    func testSoftplusDefaultBetaBackward() { checkBackward(.softplus(beta: 1), seed: 29) }
    func testSoftplusBetaTwoBackward() { checkBackward(.softplus(beta: 2), seed: 30) }
    /// β = 10 on [−3, 3]: β·z reaches ±30, so points fall on both sides of the threshold 20 (z = 2).
    func testSoftplusAcrossThresholdBackward() {
        var rng = TestRNG(seed: 31)
        XCTAssert(rng.floats(rows * columns, in: -3, 3, avoiding: 1e-2).contains { $0 > 2 }, "some points must pass the threshold")
        checkBackward(.softplus(beta: 10), seed: 31)
    }

    func testExactlyGELUAndSiLUNeedTheInput() {
        let needing = Activation.all.filter(\.needsInput).map(\.description)
        XCTAssertEqual(needing, ["gelu", "gelu_tanh", "silu"])
        for activation: Activation in [.elu(alpha: 0.5), .softplus(beta: 3), .leakyReLU(slope: 0.3)] {
            XCTAssertFalse(activation.needsInput, "\(activation)")
        }
    }

    /// `addBiasAndApply(…, keepingInputIn:)` writes z + bias to the kept buffer and y to the matrix, the
    /// same y as without a kept buffer, for every activation.
    func testAddBiasAndApplyKeepsThePreActivation() {
        var rng = TestRNG(seed: 40)
        let x = rng.floats(rows * columns, in: -4, 4), bias = rng.floats(columns, in: -1, 1)
        var expectedZ = x
        for r in 0..<rows { for c in 0..<columns { expectedZ[r * columns + c] = x[r * columns + c] + bias[c] } }
        for activation in Activation.all {
            var y = x, plain = x, kept = [Float](repeating: .nan, count: x.count)
            bias.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { yp in
                    kept.withUnsafeMutableBufferPointer { kp in
                        activation.addBiasAndApply(yp.baseAddress!, bias: b.baseAddress!, rows: rows, columns: columns,
                                                   keepingInputIn: kp.baseAddress!)
                    }
                }
                plain.withUnsafeMutableBufferPointer {
                    activation.addBiasAndApply($0.baseAddress!, bias: b.baseAddress!, rows: rows, columns: columns)
                }
            }
            XCTAssertEqual(kept, expectedZ, "\(activation) kept z")
            XCTAssertEqual(y, plain, "\(activation) y")
            XCTAssertEqual(y, applied(activation, to: expectedZ, columns: columns), "\(activation) y")
        }
    }

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

/// ∂L/∂z from the activation's input z (nil: not kept), its output y and ∂L/∂y, through
/// `backward(input:output:gradient:rows:columns:)`.
func backwardKeepingInput(_ activation: Activation, input z: [Float]?, output y: [Float], gradient: [Float], columns: Int) -> [Float] {
    var g = gradient
    y.withUnsafeBufferPointer { yp in
        g.withUnsafeMutableBufferPointer { gp in
            if let z {
                z.withUnsafeBufferPointer { zp in
                    activation.backward(input: zp.baseAddress!, output: yp.baseAddress!, gradient: gp.baseAddress!,
                                        rows: y.count / columns, columns: columns)
                }
            } else {
                activation.backward(input: nil, output: yp.baseAddress!, gradient: gp.baseAddress!, rows: y.count / columns, columns: columns)
            }
        }
    }
    return g
}
