import Foundation
import HDF5
import NeuralNet
import Optimizers
import XCTest

/// `Loss.lossAndGradient` — its value against `Reference.lossSum` and its gradient against float64
/// central differences of that reference. Gradient bound: `gradientRelativeTolerance` (1e-3 relative,
/// Float32 analytic vs float64 numerical); value bound: 1e-5 relative (Float32 per-element arithmetic
/// summed in float64).
final class LossGradientTests: XCTestCase {
    private func check(
        _ loss: Loss, outputs: [Float], targets: [Float], width: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let rows = outputs.count / width
        XCTAssertEqual(targets.count, loss.usesClassIndices ? rows : rows * width, "test targets shape", file: file, line: line)
        // Garbage in the gradient buffer: every component must be overwritten.
        let (value, gradient) = lossAndGradient(loss, outputs: outputs, targets: targets, width: width, fill: 1e3)
        let valueOnly = outputs.withUnsafeBufferPointer { o in
            targets.withUnsafeBufferPointer { t in
                loss.lossAndGradient(outputs: o.baseAddress!, targets: t.baseAddress!, rows: rows, width: width, gradient: nil)
            }
        }
        let targetsD = targets.map(Double.init)
        let reference = Reference.lossSum(loss, outputs: outputs.map(Double.init), targets: targetsD, width: width)
        assertRelativelyEqual(value, reference, tolerance: 1e-5, floor: 1e-6, "\(loss) loss sum", file: file, line: line)
        XCTAssertEqual(valueOnly, value, "\(loss): the loss must not depend on whether a gradient is wanted", file: file, line: line)

        let numerical = centralDifferenceGradient(of: { Reference.lossSum(loss, outputs: $0, targets: targetsD, width: width) },
                                                  at: outputs.map(Double.init))
        assertGradientsMatch(analytic: gradient, numerical: numerical, "\(loss)", file: file, line: line)
    }

    func testSoftmaxCrossEntropy() {
        var rng = TestRNG(seed: 21)
        check(.softmaxCrossEntropy, outputs: rng.floats(4 * 5, in: -3, 3), targets: [0, 4, 2, 2], width: 5)
    }

    func testNegativeLogLikelihood() {
        // Outputs are log-probabilities (log-softmax of random logits), as NLL expects.
        var rng = TestRNG(seed: 22)
        let logits = rng.floats(4 * 3, in: -2, 2).map(Double.init)
        let probabilities = Reference.activate(.softmax, logits, columns: 3)
        check(.negativeLogLikelihood, outputs: probabilities.map { Float(log($0)) }, targets: [1, 0, 2, 1], width: 3)
    }

    func testBinaryCrossEntropy() {
        var rng = TestRNG(seed: 23)
        let logits = rng.floats(4 * 3, in: -4, 4)
        var targets = rng.floats(4 * 3, in: 0, 1)  // soft targets, plus hard 0 and 1
        targets[0] = 0; targets[1] = 1; targets[5] = 1; targets[9] = 0
        check(.binaryCrossEntropy, outputs: logits, targets: targets, width: 3)
    }

    func testMeanSquaredError() {
        var rng = TestRNG(seed: 24)
        check(.meanSquaredError, outputs: rng.floats(4 * 3, in: -2, 2), targets: rng.floats(4 * 3, in: -2, 2), width: 3)
    }

    func testMeanAbsoluteErrorAwayFromZero() {
        var rng = TestRNG(seed: 25)
        let targets = rng.floats(4 * 3, in: -2, 2)
        let differences = rng.floats(4 * 3, in: -1, 1, avoiding: 5e-2)  // |y − t| ≥ 0.05: off the kink
        check(.meanAbsoluteError, outputs: zip(targets, differences).map { $0 + $1 }, targets: targets, width: 3)
    }

    /// Differences on both sides of δ (quadratic and linear branches), each at least 0.05 from ±δ and 0.
    private func checkHuber(delta: Float, seed: UInt64) {
        var rng = TestRNG(seed: seed)
        let targets = rng.floats(4 * 3, in: -2, 2)
        let magnitudes: [Float] = [0.1, 0.3, 0.6, 0.9, 1.2, 1.6, 2.0, 2.5, 0.2, 0.45, 1.4, 3.0].map { $0 * delta }
        let differences = magnitudes.enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element }
        XCTAssert(differences.contains { abs($0) < delta } && differences.contains { abs($0) > delta })
        check(.huber(delta: delta), outputs: zip(targets, differences).map { $0 + $1 }, targets: targets, width: 3)
    }

    func testHuberDefaultDeltaBothBranches() { checkHuber(delta: 1, seed: 26) }
    func testHuberSmallDeltaBothBranches() { checkHuber(delta: 0.5, seed: 27) }

    /// Smooth L1 on both sides of β, as `checkHuber` places the differences.
    private func checkSmoothL1(beta: Float, seed: UInt64) {
        var rng = TestRNG(seed: seed)
        let targets = rng.floats(4 * 3, in: -2, 2)
        let magnitudes: [Float] = [0.1, 0.3, 0.6, 0.9, 1.2, 1.6, 2.0, 2.5, 0.2, 0.45, 1.4, 3.0].map { $0 * beta }
        let differences = magnitudes.enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element }
        check(.smoothL1(beta: beta), outputs: zip(targets, differences).map { $0 + $1 }, targets: targets, width: 3)
    }

    func testSmoothL1DefaultBetaBothBranches() { checkSmoothL1(beta: 1, seed: 28) }
    func testSmoothL1SmallBetaBothBranches() { checkSmoothL1(beta: 0.5, seed: 29) }
    func testSmoothL1LargeBetaBothBranches() { checkSmoothL1(beta: 2, seed: 30) }

    /// SmoothL1(β) = Huber(β)/β, value and gradient, on the same points.
    func testSmoothL1IsHuberOverBeta() {
        var rng = TestRNG(seed: 31)
        let outputs = rng.floats(5 * 2, in: -3, 3), targets = rng.floats(5 * 2, in: -3, 3)
        for beta: Float in [0.5, 1, 2] {
            let smooth = lossAndGradient(.smoothL1(beta: beta), outputs: outputs, targets: targets, width: 2)
            let huber = lossAndGradient(.huber(delta: beta), outputs: outputs, targets: targets, width: 2)
            assertRelativelyEqual(smooth.value, huber.value / Double(beta), tolerance: 1e-6, "value, β = \(beta)")
            for (s, h) in zip(smooth.gradient, huber.gradient) {
                assertRelativelyEqual(Double(s), Double(h) / Double(beta), tolerance: 1e-6, floor: 1e-6, "gradient, β = \(beta)")
            }
        }
    }

    /// Cross-entropy with options: value and gradient of Σ ℓ as `check` does, plus the weight sum
    /// `lossSum` returns (Σ w_t over the rows' classes, or the row count).
    private func checkCrossEntropy(_ options: CrossEntropyOptions, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: seed)
        let outputs = rng.floats(6 * 4, in: -3, 3), targets: [Float] = [0, 3, 1, 1, 2, 3]
        let loss = Loss.softmaxCrossEntropy(options: options)
        check(loss, outputs: outputs, targets: targets, width: 4, file: file, line: line)
        let sums = outputs.withUnsafeBufferPointer { o in
            targets.withUnsafeBufferPointer { t in
                loss.lossSum(outputs: o.baseAddress!, targets: t.baseAddress!, rows: 6, width: 4, gradient: nil)
            }
        }
        XCTAssertEqual(sums.weight, Reference.weightSum(loss, targets: targets.map(Double.init), rows: 6), accuracy: 1e-12,
                       "weight sum", file: file, line: line)
    }

    func testLabelSmoothedCrossEntropy() { checkCrossEntropy(CrossEntropyOptions(labelSmoothing: 0.1), seed: 32) }
    func testHeavilySmoothedCrossEntropy() { checkCrossEntropy(CrossEntropyOptions(labelSmoothing: 0.9), seed: 33) }
    func testClassWeightedCrossEntropy() { checkCrossEntropy(CrossEntropyOptions(classWeights: [0.5, 2, 1.25, 3]), seed: 34) }
    func testClassWeightedCrossEntropyWithAZeroWeight() { checkCrossEntropy(CrossEntropyOptions(classWeights: [1, 0, 2, 0.5]), seed: 35) }
    func testClassWeightedLabelSmoothedCrossEntropy() {
        checkCrossEntropy(CrossEntropyOptions(labelSmoothing: 0.2, classWeights: [0.5, 2, 1.25, 3]), seed: 36)
    }

    /// ε = 0 and no weights takes the plain path: the very same bits as `.softmaxCrossEntropy`,
    /// and the options' path with ε = 0, w = 1 agrees with it to rounding.
    func testStandardOptionsAreThePlainCrossEntropy() {
        var rng = TestRNG(seed: 37)
        let outputs = rng.floats(5 * 4, in: -3, 3), targets: [Float] = [0, 3, 1, 2, 2]
        let plain = lossAndGradient(.softmaxCrossEntropy, outputs: outputs, targets: targets, width: 4)
        let standard = lossAndGradient(.softmaxCrossEntropy(options: .standard), outputs: outputs, targets: targets, width: 4)
        XCTAssertEqual(plain.value, standard.value)
        XCTAssertEqual(plain.gradient.map(\.bitPattern), standard.gradient.map(\.bitPattern))
        let unitWeights = lossAndGradient(.softmaxCrossEntropy(options: CrossEntropyOptions(classWeights: [1, 1, 1, 1])),
                                          outputs: outputs, targets: targets, width: 4)
        assertRelativelyEqual(unitWeights.value, plain.value, tolerance: 1e-12, "unit weights")
        for (a, b) in zip(unitWeights.gradient, plain.gradient) {
            assertRelativelyEqual(Double(a), Double(b), tolerance: 1e-6, floor: 1e-6, "unit weights gradient")
        }
    }

    /// Extreme logits: the smoothed, weighted loss stays finite and its gradient rows sum to zero
    /// when the weights are 1 (Σ_k (softmax − q)_k = 0).
    func testSmoothedCrossEntropyIsStableForHugeLogits() {
        let outputs: [Float] = [1e4, -1e4, 0, 5e3, -3e4, 3e4, 0, 1]
        let (value, gradient) = lossAndGradient(.softmaxCrossEntropy(options: CrossEntropyOptions(labelSmoothing: 0.1)),
                                                outputs: outputs, targets: [1, 2], width: 4)
        XCTAssertTrue(value.isFinite, "\(value)")
        XCTAssertTrue(gradient.allSatisfy(\.isFinite), "\(gradient)")
        for r in 0..<2 { XCTAssertEqual(gradient[(r * 4)..<(r * 4 + 4)].reduce(0, +), 0, accuracy: 1e-6) }
    }

    func testClassIndicesAndFusedActivations() {
        XCTAssertTrue(Loss.softmaxCrossEntropy.usesClassIndices)
        XCTAssertTrue(Loss.negativeLogLikelihood.usesClassIndices)
        for loss: Loss in [.binaryCrossEntropy, .meanSquaredError, .meanAbsoluteError, .huber(delta: 1), .smoothL1(beta: 1)] {
            XCTAssertFalse(loss.usesClassIndices, "\(loss)")
        }
        let weighted = Loss.softmaxCrossEntropy(options: CrossEntropyOptions(labelSmoothing: 0.1, classWeights: [1, 2, 3]))
        XCTAssertTrue(weighted.usesClassIndices)
        XCTAssertEqual(weighted.fusedActivation, .softmax)
        XCTAssertEqual(Loss.softmaxCrossEntropy.fusedActivation, .softmax)
        XCTAssertEqual(Loss.binaryCrossEntropy.fusedActivation, .sigmoid)
        for loss: Loss in [.negativeLogLikelihood, .meanSquaredError, .meanAbsoluteError, .huber(delta: 1), .smoothL1(beta: 1)] {
            XCTAssertNil(loss.fusedActivation, "\(loss)")
        }
    }
}
