import Data
import DataParallel
import NeuralNet
import Optimizers

/// The order in which training visits its rows: every epoch a permutation of all rows that depends
/// only on the seed and the epoch number, cut into batches of `batchSize` (the last one shorter).
/// Any epoch's order can be recomputed without replaying earlier ones, so a resumed or re-sharded
/// run sees exactly the same batches.
///
/// Buffers (allocated once):
///
///     order   (rows, Int32)   the loaded epoch's permutation (allocated by the first `load`)
public struct BatchSampler: Sendable {
    public let rows: Int
    public let batchSize: Int
    public let seed: UInt64
    /// The epoch whose permutation is loaded (1-based; 0 before the first `load`).
    public private(set) var epoch = 0
    private var order: [Int32]
    /// For `nextBatch`: the first position of the loaded epoch not yet handed out.
    private var position: Int

    public init(rows: Int, batchSize: Int, seed: UInt64) {
        precondition(rows >= 1 && batchSize >= 1, "a sampler needs rows and a positive batch size")
        (self.rows, self.batchSize, self.seed) = (rows, batchSize, seed)
        order = []
        position = rows
    }

    /// ⌈rows / batchSize⌉.
    public var stepsPerEpoch: Int { (rows + batchSize - 1) / batchSize }

    /// Loads `epoch`'s permutation.
    public mutating func load(epoch: Int) {
        self.epoch = epoch
        position = 0
        if order.count != rows { order = [Int32](repeating: 0, count: rows) }
        for i in order.indices { order[i] = Int32(i) }
        var rng = Xoshiro256(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15, stream: "epoch-order")
        rng.shuffle(&order)
    }

    /// The row positions in the loaded permutation of step `step` (0-based) of the epoch.
    public func positions(ofStep step: Int) -> Range<Int> {
        let first = step * batchSize
        return first..<min(first + batchSize, rows)
    }

    /// Calls `body` with the row indices of step `step` of the loaded epoch.
    public func withRows<Result>(ofStep step: Int, _ body: (UnsafeBufferPointer<Int32>) -> Result) -> Result {
        let positions = positions(ofStep: step)
        return order.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[positions])) }
    }

    /// For sweeps that ignore epoch boundaries (benchmark, LR finder): the next batch in training
    /// order, loading epoch 1, 2, … as each runs out. Calls `body` with its row indices.
    public mutating func nextBatch<Result>(_ body: (UnsafeBufferPointer<Int32>) -> Result) -> Result {
        if position >= rows { load(epoch: epoch + 1) }
        let positions = position..<min(position + batchSize, rows)
        position = positions.upperBound
        return order.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[positions])) }
    }

    /// As `nextBatch(_:)`, also passing the batch after it when the loaded epoch holds it (nil when
    /// the next batch starts a new epoch).
    public mutating func nextBatch<Result>(_ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>?) -> Result) -> Result {
        if position >= rows { load(epoch: epoch + 1) }
        let positions = position..<min(position + batchSize, rows)
        position = positions.upperBound
        let following = position < rows ? position..<min(position + batchSize, rows) : nil
        return order.withUnsafeBufferPointer { order in
            body(UnsafeBufferPointer(rebasing: order[positions]), following.map { UnsafeBufferPointer(rebasing: order[$0]) })
        }
    }
}

extension StepEngine {
    /// One step on the rows `rows` of `samples`; the engine's workers gather them, each the rows of
    /// its own micro-shards.
    public func trainStep(on samples: SampleSet, rows: UnsafeBufferPointer<Int32>, learningRate: Float,
                          momentum: Float?) -> StepResult {
        samples.matrix.withRows { x in
            samples.targets.withUnsafeBufferPointer { y in
                // A training set has at least one row, so its buffers' base addresses exist.
                trainStep(selection: BatchSelection(features: x, targets: y.baseAddress!, rows: rows),
                          learningRate: learningRate, momentum: momentum)
            }
        }
    }

    /// One step on rows of `samples` at the rate and momentum `schedule` gives the engine's next step.
    public func trainStep(on samples: SampleSet, rows: UnsafeBufferPointer<Int32>,
                          schedule: any LearningRateSchedule) -> StepResult {
        trainStep(on: samples, rows: rows, learningRate: schedule.learningRate(atStep: step),
                  momentum: schedule.momentum(atStep: step))
    }
}
