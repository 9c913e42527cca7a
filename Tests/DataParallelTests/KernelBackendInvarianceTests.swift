import DataParallel
import NeuralNet
import Optimizers
import XCTest

/// Worker-count invariance on each matrix-product backend: one kernel thread per call, and every
/// product's shape fixed by the shard size and the architecture, so the weights are bit-identical
/// for 1, 2 and 3 workers whichever library runs the products.
final class KernelBackendInvarianceTests: XCTestCase {
    /// Wide enough layers (and shards of 64 rows) that the kernels take their blocked paths.
    private let rows = 300, features = 40, classes = 5, batch = 128

    private func train(_ products: MatrixProducts, workers: Int) -> (parameters: [Float], losses: [Double]) {
        let architecture = NetworkArchitecture(inputs: features, hidden: [96, 48], hiddenActivation: .relu,
                                               outputs: classes, outputActivation: .softmax)
        let engine = StepEngine(
            architecture: architecture, loss: .softmaxCrossEntropy,
            parameters: architecture.initialParameters(initializers: [.heNormal, .heNormal, .glorotUniform], seed: 5),
            optimizer: SGD(momentum: 0.9),
            plan: ShardPlan(shardSize: 64), workers: workers, maximumBatch: batch, products: products)
        XCTAssertEqual(engine.products, products)
        var rng = Xoshiro256(seed: 13)
        let x = (0..<(rows * features)).map { _ in Float(rng.nextStandardNormal()) }
        let y = (0..<rows).map { r in Float(Int(abs(x[r * features] + x[r * features + 1]) * 2) % classes) }
        var losses: [Double] = []
        for _ in 0..<3 {
            for start in stride(from: 0, to: rows, by: batch) {  // the last batch is ragged (44 rows)
                let count = min(batch, rows - start)
                let result = x.withUnsafeBufferPointer { xp in
                    y.withUnsafeBufferPointer { yp in
                        engine.trainStep(input: xp.baseAddress! + start * features, targets: yp.baseAddress! + start, rows: count,
                                         learningRate: 0.05)
                    }
                }
                losses.append(result.loss)
            }
        }
        return (engine.parameterValues, losses)
    }

    private func checkInvariance(_ products: MatrixProducts) {
        let reference = train(products, workers: 1)
        XCTAssertLessThan(reference.losses.last!, reference.losses.first!, "\(products): training should reduce the loss")
        for workers in 2...3 {
            let run = train(products, workers: workers)
            XCTAssertEqual(run.parameters.map(\.bitPattern), reference.parameters.map(\.bitPattern),
                           "\(products): weights differ with \(workers) workers")
            XCTAssertEqual(run.losses, reference.losses, "\(products): losses differ with \(workers) workers")
        }
    }

    func testOpenBLASWeightsAreBitIdenticalForOneToThreeWorkers() throws {
        checkInvariance(try MatrixProducts(.openblas))
    }

    func testOneDNNWeightsAreBitIdenticalForOneToThreeWorkers() throws {
        try XCTSkipUnless(MatrixProducts.isOneDNNAvailable, "libdnnl is not installed")
        checkInvariance(try MatrixProducts(.onednn))
    }

    func testDefaultKernelsWeightsAreBitIdenticalForOneToThreeWorkers() {
        checkInvariance(MatrixProducts.automatic)
    }

    /// The backends compute the same network: after a few steps the weights agree closely (not
    /// bit for bit: the kernels sum in different orders).
    func testBothBackendsTrainTheSameNetwork() throws {
        try XCTSkipUnless(MatrixProducts.isOneDNNAvailable, "libdnnl is not installed")
        let openblas = train(try MatrixProducts(.openblas), workers: 2), onednn = train(try MatrixProducts(.onednn), workers: 2)
        var worst: Float = 0
        for (a, b) in zip(openblas.parameters, onednn.parameters) { worst = max(worst, abs(a - b)) }
        XCTAssertLessThan(worst, 1e-4, "largest weight difference between the backends")
        XCTAssertEqual(openblas.losses.last!, onednn.losses.last!, accuracy: 1e-4)
    }
}
