import XCTest
import NeuralNet

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
}
