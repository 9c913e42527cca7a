import NeuralNet
import Optimizers
import XCTest

/// The float arithmetic of the update rules, pinned on inputs where the alternatives give different
/// bits. PyTorch's AVX2/AVX-512 kernels fuse these multiply-adds; H5Train deliberately rounds the
/// product and then the sum, so results are the same on every CPU and the loops stay fast without an
/// FMA-capable compilation target (the fixture tests bound the difference to torch.optim: ≤ 1e-6).
final class OptimizerArithmeticTests: XCTestCase {
    private let one = Float(1)
    private let ulp = Float.ulpOfOne  // 2⁻²³

    /// `param.add_(grad, alpha=-lr)` is a multiply, then an add. Here w = 1 + 2⁻²³, −lr·g = −2⁻²⁴(1 − 2⁻⁴⁶):
    /// fused, the exact sum lies just above the midpoint 1 + 2⁻²⁴ and rounds up to 1 + 2⁻²³; rounding
    /// the product first lands on the midpoint and rounds to even, 1 — what every CPU computes.
    func testParameterUpdateRoundsTheProductThenTheSum() {
        let w0 = one + ulp, lr = one + ulp, g = -(ulp / 2) * (one - ulp)
        let fused = w0.addingProduct(-lr, g)
        XCTAssertEqual(fused, one + ulp)
        XCTAssertNotEqual(w0 + (-lr) * g, fused, "the input must tell fused from unfused")
        XCTAssertNotEqual(Float(Double(w0) + Double(-lr) * Double(g)), fused, "… and from Double emulation")

        var w = [w0], noState: [Float] = []
        OptimizerTesting.update(SGD(), parameters: &w, gradients: [g], state: &noState, parameterCount: 1,
                                range: 0..<1, learningRate: lr, step: 0)
        let unfused = w0 + (-lr) * g
        XCTAssertEqual(w[0].bitPattern, unfused.bitPattern, "SGD: \(w[0]) vs unfused \(unfused)")

        // With momentum, from the second step on: b ← μ·b + g (dampening 0: a plain add), w ← −lr·b + w.
        var wm = [w0], buffer: [Float] = [0]
        OptimizerTesting.update(SGD(momentum: 0.5), parameters: &wm, gradients: [g / 2], state: &buffer,
                                parameterCount: 1, range: 0..<1, learningRate: 0, step: 0)
        XCTAssertEqual(buffer[0], g / 2)
        OptimizerTesting.update(SGD(momentum: 0.5), parameters: &wm, gradients: [g - g / 4], state: &buffer,
                                parameterCount: 1, range: 0..<1, learningRate: lr, step: 1)
        XCTAssertEqual(buffer[0], g)
        XCTAssertEqual(wm[0].bitPattern, unfused.bitPattern, "SGD with momentum: \(wm[0]) vs unfused \(unfused)")
    }

    /// `exp_avg.lerp_(grad, 1 − β₁)`: PyTorch's lerp is start + w·(end − start) for w < 0.5 but
    /// end − (end − start)·(1 − w) otherwise (each a multiply-add, here unfused). Adam's first moment after two steps shows
    /// both branches (β₁ = 0.9 → w = 0.1; β₁ = 0.3 → w = 0.7).
    func testFirstMomentUsesTorchLerpOnBothSidesOfOneHalf() {
        for beta1 in [0.9, 0.3] {
            let adam = Adam(beta1: beta1)
            let weight = Float(1 - beta1)
            let g0: Float = 0.3, g1: Float = -0.7
            var w: [Float] = [1], state: [Float] = [0, 0]
            OptimizerTesting.update(adam, parameters: &w, gradients: [g0], state: &state, parameterCount: 1,
                                    range: 0..<1, learningRate: 1e-3, step: 0)
            let m0 = weight * (g0 - 0) + 0
            XCTAssertEqual(state[0].bitPattern, m0.bitPattern, "β₁ = \(beta1), step 0")
            OptimizerTesting.update(adam, parameters: &w, gradients: [g1], state: &state, parameterCount: 1,
                                    range: 0..<1, learningRate: 1e-3, step: 1)
            let m1 = weight < 0.5 ? weight * (g1 - m0) + m0 : -(g1 - m0) * (1 - weight) + g1
            XCTAssertEqual(state[0].bitPattern, m1.bitPattern, "β₁ = \(beta1), step 1: \(state[0]) vs \(m1)")
        }
    }

    /// `exp_avg_sq.mul_(β₂).addcmul_(grad, grad, value=1 − β₂)`: ((1 − β₂)·g)·g + β₂·v.
    func testSecondMomentIsScaledThenSquareAdded() {
        let g: Float = 0.123456, v0: Float = 0.0421
        var w: [Float] = [1], state: [Float] = [0.01, v0]
        OptimizerTesting.update(Adam(), parameters: &w, gradients: [g], state: &state, parameterCount: 1,
                                range: 0..<1, learningRate: 1e-3, step: 3)
        let expected = (Float(1 - 0.999) * g) * g + v0 * Float(0.999)
        XCTAssertEqual(state[1].bitPattern, expected.bitPattern)
    }

    /// Hyper-parameters are Doubles like Python's floats: Adam's bias corrections use 0.9 and 0.999
    /// themselves, not their Float roundings (which would shift step_size by ~2e-7 relative).
    func testBiasCorrectionsUseDoubleHyperParameters() {
        let g: Float = 0.25
        var w: [Float] = [1], state: [Float] = [0, 0]
        OptimizerTesting.update(Adam(), parameters: &w, gradients: [g], state: &state, parameterCount: 1,
                                range: 0..<1, learningRate: 0.5, step: 0)
        let m = Float(1 - 0.9) * g + 0
        let v = (Float(1 - 0.999) * g) * g + 0
        let stepSize = 0.5 / (1 - 0.9)  // Python: lr / bias_correction1 with beta1 = 0.9
        let denominator = v.squareRoot() / Float((1 - 0.999).squareRoot()) + Float(1e-8)
        let expected = Float(1) + Float(-stepSize) * m / denominator
        XCTAssertEqual(w[0].bitPattern, expected.bitPattern, "\(w[0]) vs \(expected)")
    }
}
