import NeuralNet
import Optimizers
import XCTest

/// Logits of magnitude 100–1000 overflow a naive e^z in Float32 (e^89 already does); the fused
/// losses and the activations must stay finite and exact there.
final class NumericalStabilityTests: XCTestCase {
    func testCrossEntropyWithHugeLogits() {
        // Row 0: target is the smallest logit: ℓ = log(e^1000 + e^−1000 + e^500) + 1000 = 2000 (to 1e-200).
        // Row 1: target is the largest: ℓ = log(1 + e^−900 + e^−1100) ≈ 0.
        // Row 2: two tied maxima of 100, target one of them: ℓ = log 2.
        let logits: [Float] = [1000, -1000, 500, 800, -100, -300, 100, 100, -100]
        let (value, gradient) = lossAndGradient(.softmaxCrossEntropy, outputs: logits, targets: [1, 0, 1], width: 3)
        XCTAssert(value.isFinite)
        assertRelativelyEqual(value, 2000 + log(2.0), tolerance: 1e-9, "loss sum")
        XCTAssert(gradient.allSatisfy(\.isFinite), "\(gradient)")
        // ∂ℓ/∂z = softmax(z) − onehot(t).
        let expected: [Float] = [1, -1, 0, 0, 0, 0, 0.5, -0.5, 0]
        for (g, e) in zip(gradient, expected) { XCTAssertEqual(g, e, accuracy: 1e-6, "\(gradient)") }
    }

    func testBinaryCrossEntropyWithHugeLogits() {
        // ℓ(z, t) = max(z, 0) − z·t + log(1 + e^−|z|); at these magnitudes the log term is 0 (or e^−100 ≈ 4e-44).
        let logits: [Float] = [1000, -1000, 100, -100, 1000, -1000]
        let targets: [Float] = [0, 1, 1, 0, 0.25, 0.5]
        let (value, gradient) = lossAndGradient(.binaryCrossEntropy, outputs: logits, targets: targets, width: 6)
        let perOutput: [Double] = [1000, 1000, 0, 0, 750, 500]
        assertRelativelyEqual(value, perOutput.reduce(0, +) / 6, tolerance: 1e-6, "loss")
        // ∂ℓ/∂z = (σ(z) − t)/width with σ = 1 or 0.
        let expected: [Float] = [1, -1, 0, 0, 0.75, -0.5].map { $0 / 6 }
        XCTAssert(gradient.allSatisfy(\.isFinite), "\(gradient)")
        for (g, e) in zip(gradient, expected) { XCTAssertEqual(g, e, accuracy: 1e-7, "\(gradient)") }
    }

    func testSoftmaxOfExtremeRowIsFiniteAndNormalised() {
        let y = applied(.softmax, to: [1000, 0, -1000, -1000, 0, 1000], columns: 3)
        XCTAssert(y.allSatisfy(\.isFinite), "\(y)")
        XCTAssertEqual(y[0] + y[1] + y[2], 1, accuracy: 1e-6)
        XCTAssertEqual(y[3] + y[4] + y[5], 1, accuracy: 1e-6)
        XCTAssertEqual(y, [1, 0, 0, 0, 0, 1])
    }

    func testSigmoidOfLargeMagnitudesIsFinite() {
        let y = applied(.sigmoid, to: [100, -100, 1000, -1000], columns: 4)
        XCTAssert(y.allSatisfy(\.isFinite), "\(y)")
        XCTAssertEqual(y[0], 1)
        XCTAssertEqual(y[2], 1)
        XCTAssert(y[1] >= 0 && y[1] < 1e-30, "sigmoid(−100) = e^−100 ≈ 3.7e-44, got \(y[1])")
        XCTAssertEqual(y[3], 0)
        let g = backward(.sigmoid, output: y, gradient: [1, 1, 1, 1], columns: 4)
        XCTAssert(g.allSatisfy { $0.isFinite && $0 >= 0 && $0 < 1e-30 }, "\(g)")
    }

    /// ELU, GELU, GELU-tanh, SiLU and softplus for |z| from 100 to 1000, where e^{|z|} overflows Float32
    /// and z³ (GELU-tanh) reaches 1e9: outputs and derivatives are finite and equal to their limits —
    /// y = z and y′ = 1 for z ≫ 0; y = −α (ELU) or ≈ 0 and y′ ≈ 0 for z ≪ 0. (PyTorch in Float32 gives
    /// the same: e.g. `F.gelu(torch.tensor([-100., 100.]))` = [−0, 100], softplus(−100) = 3.78e-44.)
    func testNewActivationsAtLargeMagnitudes() {
        let magnitudes: [Float] = [100, 150, 300, 500, 1000]
        let z = magnitudes + magnitudes.map { -$0 }
        let positive = 0..<magnitudes.count, negative = magnitudes.count..<z.count
        for activation: Activation in [.elu(alpha: 1), .elu(alpha: 0.5), .gelu, .geluTanh, .silu, .softplus(beta: 1), .softplus(beta: 0.5)] {
            let y = applied(activation, to: z, columns: z.count)
            let g = backwardKeepingInput(activation, input: activation.needsInput ? z : nil, output: y,
                                         gradient: [Float](repeating: 1, count: z.count), columns: z.count)
            XCTAssert(y.allSatisfy(\.isFinite) && g.allSatisfy(\.isFinite), "\(activation): y \(y), y′ \(g)")
            for i in positive {
                XCTAssertEqual(y[i], z[i], "\(activation)(\(z[i]))")
                XCTAssertEqual(g[i], 1, "\(activation)′(\(z[i]))")
            }
            for i in negative {
                if case .elu(let alpha) = activation {
                    XCTAssertEqual(y[i], -alpha, "\(activation)(\(z[i]))")
                } else {
                    // GELU: −|z|·Φ(−|z|) ≤ 100·e^{-5000}; SiLU: |z|·e^{−|z|} ≤ 4e-42; softplus: e^{−βz}/β ≤ 4e-22 (β = ½).
                    XCTAssert(abs(y[i]) < 1e-20, "\(activation)(\(z[i])) = \(y[i])")
                }
                XCTAssert(abs(g[i]) < 1e-20, "\(activation)′(\(z[i])) = \(g[i])")
            }
        }
    }

    /// Beyond any realistic pre-activation — |z| = 1e20 and the largest finite Float — where z² and z³
    /// overflow: still finite, and still the limits (no ∞·0 = NaN in GELU-tanh's derivative).
    func testNewActivationsAtFloatExtremes() {
        let z: [Float] = [1e20, .greatestFiniteMagnitude, -1e20, -.greatestFiniteMagnitude]
        for activation: Activation in [.elu(alpha: 1), .gelu, .geluTanh, .silu, .softplus(beta: 1), .softplus(beta: 2)] {
            let y = applied(activation, to: z, columns: z.count)
            let g = backwardKeepingInput(activation, input: activation.needsInput ? z : nil, output: y,
                                         gradient: [1, 1, 1, 1], columns: z.count)
            XCTAssertEqual(Array(y[0..<2]), Array(z[0..<2]), "\(activation)")
            XCTAssertEqual(Array(g[0..<2]), [1, 1], "\(activation)′")
            XCTAssertEqual(Array(y[2...]), activation == .elu(alpha: 1) ? [-1, -1] : [0, 0], "\(activation)")
            XCTAssertEqual(Array(g[2...]), [0, 0], "\(activation)′")
        }
    }
}
