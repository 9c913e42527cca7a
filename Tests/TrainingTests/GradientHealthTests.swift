@testable import DataParallel
@testable import DataParallel
@testable import NeuralNet
@testable import Optimizers
@testable import Training
import XCTest

/// Clipping, the NaN/Inf policy and their worker-count invariance, on the engine directly.
final class GradientHealthTests: XCTestCase {
    private let architecture = NetworkArchitecture(inputs: 6, hidden: [5], hiddenActivation: .tanh,
                                                   outputs: 3, outputActivation: .softmax)
    private let rows = 40

    private func data() -> (x: [Float], y: [Float]) {
        var rng = Xoshiro256(seed: 11)
        let x = (0..<(rows * 6)).map { _ in Float(rng.nextStandardNormal()) * 3 }
        let y = (0..<rows).map { Float($0 % 3) }
        return (x, y)
    }

    private let rate: Float = 0.1

    private func engine(_ health: GradientHealthSettings, workers: Int = 1) -> StepEngine {
        let engine = StepEngine(
            architecture: architecture, loss: .softmaxCrossEntropy,
            parameters: architecture.initialParameters(initializers: [.glorotUniform, .glorotUniform], seed: 5),
            optimizer: SGD(), plan: ShardPlan(shardSize: 8),
            workers: workers, maximumBatch: rows)
        engine.health = health
        return engine
    }

    private func step(_ engine: StepEngine, x: [Float]? = nil) -> StepResult {
        let (dx, y) = data()
        return engine.trainStep(input: x ?? dx, targets: y, rows: rows, learningRate: rate)
    }

    private func distance(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    }

    func testClipNormRescalesTheUpdateToTheLimit() {
        let free = engine(GradientHealthSettings())
        let before = free.parameterValues
        let unclipped = step(free)
        XCTAssertFalse(unclipped.clipped)
        // Plain SGD: ‖Δw‖ = lr · ‖g‖.
        XCTAssertEqual(distance(free.parameterValues, before), 0.1 * unclipped.gradientNorm, accuracy: 1e-5)

        let limit: Float = 0.05
        XCTAssertGreaterThan(unclipped.gradientNorm, Double(limit) * 4, "the test needs a gradient above the limit")
        let clipped = engine(GradientHealthSettings(clipNorm: limit))
        let result = step(clipped)
        XCTAssertTrue(result.clipped)
        XCTAssertEqual(result.gradientNorm, unclipped.gradientNorm, accuracy: 1e-9, "the norm is reported before clipping")
        XCTAssertEqual(distance(clipped.parameterValues, before), 0.1 * Double(limit), accuracy: 1e-6)
    }

    func testClipValueBoundsEveryComponent() {
        let limit: Float = 1e-3
        let clipped = engine(GradientHealthSettings(clipValue: limit))
        let before = clipped.parameterValues
        _ = step(clipped)
        let largest = zip(clipped.parameterValues, before).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(largest, 0.1 * limit + 1e-6, "plus rounding of w − lr·g near |w| ≈ 1")
        XCTAssertGreaterThan(largest, 0.1 * limit * 0.5, "some component should hit the limit")
    }

    func testSkipPolicyLeavesParametersAndStepUntouched() {
        let skipping = engine(GradientHealthSettings(onNonFinite: .skip))
        let before = skipping.parameterValues
        var (x, _) = data()
        x[7] = .infinity
        let result = step(skipping, x: x)
        XCTAssertFalse(result.applied)
        XCTAssertEqual(skipping.step, 0)
        XCTAssertEqual(skipping.parameterValues, before)
        XCTAssertTrue(step(skipping).applied, "the next finite batch trains")
        XCTAssertEqual(skipping.step, 1)
    }

    func testNonFiniteValuesSurviveClampingSoTheyAreDetected() {
        let block = architecture.gradientBlocks()[0]
        var gradient = [Float](repeating: 0.5, count: architecture.parameterCount)
        gradient[block.weightRange.lowerBound + 3] = .nan
        let squares = gradient.withUnsafeMutableBufferPointer { block.prepareGradient($0.baseAddress!, clampingTo: 0.1) }
        XCTAssertTrue(squares.isNaN)
        XCTAssertEqual(gradient[block.weightRange.lowerBound], 0.1, "finite values are clamped")
    }

    func testClippedTrainingIsIdenticalForAnyWorkerCount() {
        func train(_ workers: Int) -> [UInt32] {
            let engine = engine(GradientHealthSettings(clipNorm: 0.05, clipValue: 0.02), workers: workers)
            for _ in 0..<5 { _ = step(engine) }
            return engine.parameterValues.map(\.bitPattern)
        }
        let one = train(1)
        XCTAssertEqual(train(2), one)
        XCTAssertEqual(train(3), one)
    }
}
