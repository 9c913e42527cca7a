import DataParallel
import NeuralNet
import Optimizers
import XCTest

/// Cross-entropy with class weights (and label smoothing) in the data-parallel step: the batch loss
/// is Σ w_t·ℓ / Σ w_t and the gradient is scaled by 1/Σ w_t (PyTorch's `weight=` with
/// `reduction='mean'`), with shard weight sums added in shard order, so the result is still the
/// same bits for any worker count.
final class WeightedLossTests: XCTestCase {
    /// 200 rows = 3·64 + 8: a ragged last batch; classes unbalanced on purpose.
    private let rows = 200, features = 12, classes = 4, batch = 64
    private let loss = Loss.softmaxCrossEntropy(options: CrossEntropyOptions(labelSmoothing: 0.1, classWeights: [0.5, 2, 1.25, 3]))

    private func makeData() -> (x: [Float], y: [Float]) {
        var rng = Xoshiro256(seed: 11)
        let x = (0..<(rows * features)).map { _ in Float(rng.nextStandardNormal()) }
        let y = (0..<rows).map { r in Float(min(Int(abs(x[r * features] + x[r * features + 1]) * 2), classes - 1)) }
        return (x, y)
    }

    private var architecture: NetworkArchitecture {
        NetworkArchitecture(inputs: features, hidden: [10], hiddenActivation: .tanh, outputs: classes, outputActivation: .softmax)
    }

    private func makeEngine(loss: Loss, workers: Int, shardSize: Int, optimizer: any Optimizer) -> StepEngine {
        StepEngine(architecture: architecture, loss: loss,
                        parameters: architecture.initialParameters(initializers: [.glorotUniform, .glorotUniform], seed: 5),
                        optimizer: optimizer,
                        plan: ShardPlan(shardSize: shardSize), workers: workers, maximumBatch: batch)
    }

    private func train(workers: Int, shardSize: Int, epochs: Int = 2) -> (parameters: [Float], losses: [Double]) {
        let engine = makeEngine(loss: loss, workers: workers, shardSize: shardSize,
                                optimizer: SGD(momentum: 0.9, weightDecay: 1e-4))
        let (x, y) = makeData()
        var losses: [Double] = []
        for _ in 0..<epochs {
            for start in stride(from: 0, to: rows, by: batch) {
                let result = engine.trainStep(input: Array(x[(start * features)...]), targets: Array(y[start...]), rows: min(batch, rows - start), learningRate: 0.1)
                losses.append(result.loss)
            }
        }
        return (engine.parameterValues, losses)
    }

    func testWeightedStepsAreBitIdenticalForOneTwoAndThreeWorkers() {
        for shardSize in [7, 16, 64] {
            let reference = train(workers: 1, shardSize: shardSize)
            XCTAssertLessThan(reference.losses.last!, reference.losses.first!, "training should reduce the loss")
            for workers in [2, 3] {
                let run = train(workers: workers, shardSize: shardSize)
                XCTAssertEqual(run.parameters.map(\.bitPattern), reference.parameters.map(\.bitPattern),
                               "weights differ with \(workers) workers, shard size \(shardSize)")
                XCTAssertEqual(run.losses, reference.losses, "losses differ with \(workers) workers, shard size \(shardSize)")
            }
        }
    }

    /// Other shard sizes change only the order of the float sums.
    func testShardSizesAgreeToRounding() {
        let small = train(workers: 2, shardSize: 7, epochs: 1), whole = train(workers: 2, shardSize: 64, epochs: 1)
        let largest = zip(small.parameters, whole.parameters).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(largest, 1e-5)
        for (a, b) in zip(small.losses, whole.losses) { XCTAssertEqual(a, b, accuracy: 1e-6 * abs(b)) }
    }

    /// One plain SGD step θ ← θ − η·∇L with L = Σ w_t·ℓ / Σ w_t: the step's loss and parameters
    /// against the whole batch's loss sum and gradient sum (one `NetworkPass.gradients` call)
    /// divided by Σ w_t computed here from the labels.
    func testStepDividesByTheBatchWeightNotTheRowCount() {
        let (x, y) = makeData()
        let rate: Float = 0.5
        let engine = makeEngine(loss: loss, workers: 3, shardSize: 16, optimizer: SGD())
        let before = engine.parameterValues
        let weights: [Double] = [0.5, 2, 1.25, 3]
        let weightSum = y.prefix(batch).map { weights[Int($0)] }.reduce(0, +)
        XCTAssertNotEqual(weightSum, Double(batch), "the test needs Σ w_t ≠ rows")

        let workspace = NetworkPass(architecture: architecture, capacity: batch)
        var gradient = [Float](repeating: 0, count: architecture.parameterCount)
        let lossSum = gradient.withUnsafeMutableBufferPointer { g in
            workspace.gradients(parameters: before, input: x, targets: y, rows: batch, loss: loss, into: g.baseAddress!)
        }
        let result = engine.trainStep(input: x, targets: y, rows: batch, learningRate: rate)
        XCTAssertTrue(result.applied)
        // Shards and the whole batch round their products differently: agreement to float rounding.
        XCTAssertEqual(result.loss, lossSum / weightSum, accuracy: 1e-6 * result.loss)
        let after = engine.parameterValues
        let scale = gradient.map { abs(Double($0)) }.max()! * Double(rate) / weightSum
        for i in before.indices {
            let expected = Double(before[i]) - Double(rate) * Double(gradient[i]) / weightSum
            XCTAssertEqual(Double(after[i]), expected, accuracy: 1e-5 * scale + 1e-7, "parameter \(i)")
        }

        // Evaluation sums the same weights, so its mean is the same weighted mean.
        let fresh = makeEngine(loss: loss, workers: 2, shardSize: 16, optimizer: SGD())
        let sums = fresh.predictor.evaluate(input: x, targets: y, rows: batch)
        XCTAssertEqual(sums.weightSum, weightSum)
        XCTAssertEqual(sums.lossSum / sums.weightSum, result.loss, accuracy: 1e-6 * result.loss)
    }

    /// Without class weights the divisor is the row count, as before.
    func testUnweightedStepsStillDivideByTheRowCount() {
        let (x, y) = makeData()
        let plain = makeEngine(loss: .softmaxCrossEntropy, workers: 2, shardSize: 16, optimizer: SGD())
        let sums = plain.predictor.evaluate(input: x, targets: y, rows: rows)
        XCTAssertEqual(sums.weightSum, Double(rows))
    }

    /// A batch whose samples all have weight 0 has no defined weighted mean (PyTorch: NaN); here
    /// it contributes loss 0 and a zero gradient, so plain SGD leaves the parameters as they were.
    func testBatchOfZeroWeightClassesChangesNothing() {
        let (x, _) = makeData()
        let zeroFirst = Loss.softmaxCrossEntropy(options: CrossEntropyOptions(classWeights: [0, 1, 1, 1]))
        let engine = makeEngine(loss: zeroFirst, workers: 2, shardSize: 4, optimizer: SGD())
        let before = engine.parameterValues
        let result = engine.trainStep(input: x, targets: [Float](repeating: 0, count: 10), rows: 10, learningRate: 0.5)
        XCTAssertEqual(result.loss, 0)
        XCTAssertTrue(result.isFinite)
        XCTAssertEqual(result.gradientNorm, 0)
        XCTAssertEqual(engine.parameterValues, before)
    }
}
