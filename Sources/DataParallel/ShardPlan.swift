import NeuralNet

/// How a minibatch is cut into micro-shards.
///
/// Shards have a fixed row count that does not depend on the number of workers. Each shard's forward
/// and backward pass writes its own rows of the batch's activations and δ, and its loss is added in
/// shard order; the gradient is then computed per fixed block over the whole batch. So the
/// floating-point operations of a step — and hence the trained weights — are the same for any
/// worker count.
public struct ShardPlan: Sendable, Equatable {
    /// Rows per shard (the last shard of a batch may have fewer).
    public let shardSize: Int

    public init(shardSize: Int) {
        precondition(shardSize >= 1, "shard size must be positive")
        self.shardSize = shardSize
    }

    /// Number of shards for a batch of `rows` rows (⌈rows / shardSize⌉, without overflowing for any
    /// shard size).
    public func shardCount(rows: Int) -> Int {
        rows <= 0 ? 0 : (rows - 1) / shardSize + 1
    }

    /// The rows of shard `index` within a batch of `rows` rows.
    public func rows(ofShard index: Int, batchRows rows: Int) -> Range<Int> {
        let start = index * shardSize
        return start..<min(rows, start + shardSize)
    }
}
