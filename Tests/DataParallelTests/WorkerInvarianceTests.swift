import DataParallel
import NeuralNet
import Optimizers
import XCTest

/// The property the whole design rests on: the trained weights do not depend on the worker count.
final class WorkerInvarianceTests: XCTestCase {
    /// A small classification problem with a deliberately ragged last batch (200 = 3·64 + 8).
    private let rows = 200, features = 20, classes = 3, batch = 64

    private func makeData() -> (x: [Float], y: [Float]) {
        var rng = Xoshiro256(seed: 7)
        let x = (0..<(rows * features)).map { _ in Float(rng.nextStandardNormal()) }
        let y = (0..<rows).map { r in Float(Int(abs(x[r * features] * 3)) % classes) }
        return (x, y)
    }

    /// - Parameter gatheredByWorkers: pass each batch as shuffled row indices (`trainStep(selection:)`),
    ///   for the workers to gather, instead of as rows copied beforehand.
    private func train(workers: Int, shardSize: Int = 16, epochs: Int = 3, dropout: Float = 0,
                       gatheredByWorkers: Bool = false) -> (parameters: [Float], losses: [Double]) {
        let architecture = NetworkArchitecture(inputs: features, hidden: [16, 8], hiddenActivation: .relu,
                                               outputs: classes, outputActivation: .softmax, dropout: dropout)
        let engine = StepEngine(
            architecture: architecture, loss: .softmaxCrossEntropy,
            parameters: architecture.initialParameters(initializers: [.heNormal, .heNormal, .glorotUniform], seed: 3),
            optimizer: SGD(momentum: 0.9, weightDecay: 1e-4),
            plan: ShardPlan(shardSize: shardSize), workers: workers, maximumBatch: batch)
        let (x, y) = makeData()
        // A fixed shuffle: the order the selections name, and the order the copied batches are in.
        var order = (0..<Int32(rows)).map { $0 }
        var rng = Xoshiro256(seed: 11)
        rng.shuffle(&order)
        let shuffledX = order.flatMap { x[(Int($0) * features)..<((Int($0) + 1) * features)] }
        let shuffledY = order.map { y[Int($0)] }
        let schedule = StepDecaySchedule(rate: 0.1, stepSize: 4, gamma: 0.5)
        var losses: [Double] = []
        for _ in 0..<epochs {
            for start in stride(from: 0, to: rows, by: batch) {
                let count = min(batch, rows - start), rate = schedule.learningRate(atStep: engine.step)
                let result = gatheredByWorkers
                    ? x.withUnsafeBufferPointer { xp in
                        y.withUnsafeBufferPointer { yp in
                            order.withUnsafeBufferPointer { op in
                                engine.trainStep(selection: BatchSelection(
                                    features: xp.baseAddress!, featureCount: features, targets: yp.baseAddress!,
                                    rows: UnsafeBufferPointer(rebasing: op[start..<(start + count)])), learningRate: rate)
                            }
                        }
                    }
                    : shuffledX.withUnsafeBufferPointer { xp in
                        shuffledY.withUnsafeBufferPointer { yp in
                            engine.trainStep(input: xp.baseAddress! + start * features, targets: yp.baseAddress! + start, rows: count,
                                             learningRate: rate)
                        }
                    }
                losses.append(result.loss)
            }
        }
        return (engine.parameterValues, losses)
    }

    func testWeightsAreBitIdenticalForOneToFourWorkers() {
        let reference = train(workers: 1)
        XCTAssertLessThan(reference.losses.last!, reference.losses.first!, "training should reduce the loss")
        for workers in 2...4 {
            let run = train(workers: workers)
            XCTAssertEqual(run.parameters.map(\.bitPattern), reference.parameters.map(\.bitPattern),
                           "weights differ with \(workers) workers")
            XCTAssertEqual(run.losses, reference.losses, "losses differ with \(workers) workers")
        }
    }

    func testRowsGatheredByTheWorkersTrainExactlyLikeCopiedBatches() {
        let reference = train(workers: 1)
        for workers in 1...3 {
            let run = train(workers: workers, gatheredByWorkers: true)
            XCTAssertEqual(run.parameters.map(\.bitPattern), reference.parameters.map(\.bitPattern),
                           "weights differ when \(workers) workers gather the rows")
            XCTAssertEqual(run.losses, reference.losses)
        }
    }

    func testDropoutKeepsWeightsBitIdenticalAcrossWorkerCounts() {
        let reference = train(workers: 1, dropout: 0.5)
        XCTAssertNotEqual(reference.parameters, train(workers: 1).parameters, "dropout must change training")
        for workers in [2, 3] {
            XCTAssertEqual(train(workers: workers, dropout: 0.5).parameters.map(\.bitPattern), reference.parameters.map(\.bitPattern))
        }
    }

    func testMoreWorkersThanShardsStillMatches() {
        // 64-row batches of 64-row shards: one shard per batch, so most workers idle.
        XCTAssertEqual(train(workers: 4, shardSize: 64).parameters.map(\.bitPattern),
                       train(workers: 1, shardSize: 64).parameters.map(\.bitPattern))
    }

    func testShardedGradientEqualsWholeBatchGradient() {
        // Different shard sizes change only the float summation order: results agree closely, not bitwise.
        let sixteen = train(workers: 2, shardSize: 16, epochs: 1).parameters
        let whole = train(workers: 2, shardSize: 64, epochs: 1).parameters
        var largest: Float = 0
        for (a, b) in zip(sixteen, whole) { largest = max(largest, abs(a - b)) }
        XCTAssertLessThan(largest, 1e-4)
        XCTAssertGreaterThan(sixteen.count, 0)
    }
}
