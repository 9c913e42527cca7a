import DataParallel
import NeuralNet
import Optimizers
import XCTest

final class EvaluationTests: XCTestCase {
    /// A one-layer "network" with hand-set weights, so outputs and accuracy are known exactly.
    func testEvaluateCountsCorrectRowsAndAveragesTheLoss() {
        // 2 inputs → 2 classes, W = identity, b = 0: predicts the larger input.
        let architecture = NetworkArchitecture(layers: [LayerSpec(inputs: 2, outputs: 2, activation: .softmax)])
        let engine = StepEngine(architecture: architecture, loss: .softmaxCrossEntropy, parameters: [1, 0, 0, 1, 0, 0],
                                     optimizer: SGD(), plan: ShardPlan(shardSize: 2),
                                     workers: 2, maximumBatch: 1)
        // 600 rows (> 2 evaluation chunks); the label matches the larger input on 2 of every 3 rows.
        var x: [Float] = [], y: [Float] = []
        for r in 0..<600 {
            x += [2, 0]
            y.append(r % 3 == 0 ? 1 : 0)
        }
        let sums = engine.predictor.evaluate(input: x, targets: y, rows: 600)
        XCTAssertEqual(sums.rows, 600)
        XCTAssertEqual(sums.correct, 400)
        // logits (2, 0): loss is log(1+e^-2) for label 0, 2 + log(1+e^-2) for label 1.
        let expected = 400 * log(1 + exp(-2.0)) + 200 * (2 + log(1 + exp(-2.0)))
        XCTAssertEqual(sums.lossSum, expected, accuracy: 1e-3)

        var probabilities = [Float](repeating: 0, count: 4)
        engine.predictor.predict(input: [2, 0, 0, 2], rows: 2, into: &probabilities)
        let p = Float(1 / (1 + exp(-2.0)))
        XCTAssertEqual(probabilities[0], p, accuracy: 1e-6)
        XCTAssertEqual(probabilities[3], p, accuracy: 1e-6)
        XCTAssertEqual(probabilities[0] + probabilities[1], 1, accuracy: 1e-6)
    }

    func testNonFiniteLossLeavesParametersUntouched() {
        let architecture = NetworkArchitecture(layers: [LayerSpec(inputs: 1, outputs: 1, activation: .identity)])
        let engine = StepEngine(architecture: architecture, loss: .meanSquaredError, parameters: [0.5, 0],
                                     optimizer: SGD(), plan: ShardPlan(shardSize: 4),
                                     workers: 1, maximumBatch: 4)
        let result = engine.trainStep(input: [Float.infinity], targets: [0], rows: 1, learningRate: 0.1)
        XCTAssertFalse(result.isFinite)
        XCTAssertEqual(engine.parameterValues, [0.5, 0])
        XCTAssertEqual(engine.step, 0)
    }
}
