import NeuralNet

/// Who computes what in a run across `ranks` processes, as pure functions of the batch, the shard
/// plan and the architecture: the same on every rank, and never changing a float operation.
///
/// Phase 1: rank r runs the contiguous shards `shards(ofRank:)` (so its rows of the batch buffers are
/// contiguous and can be exchanged with one message per buffer); its workers stride over them.
/// Phase 2: the gradient blocks are balanced by cost over the ranks, then each rank's over its
/// workers; a block's owner alone computes it, updates its parameters and keeps its optimizer state.
public struct RankShares: Sendable, Equatable {
    public let rank: Int
    public let ranks: Int

    public init(rank: Int, ranks: Int) {
        precondition(ranks >= 1 && rank >= 0 && rank < ranks, "rank \(rank) outside 0..<\(ranks)")
        (self.rank, self.ranks) = (rank, ranks)
    }

    /// One process.
    public static let single = RankShares(rank: 0, ranks: 1)

    /// The shards of rank `r` among `shardCount`: ⌊S·r/R⌋ ..< ⌊S·(r+1)/R⌋ (empty when R > S for some r).
    public func shards(ofRank r: Int, shardCount: Int) -> Range<Int> {
        (shardCount * r / ranks)..<(shardCount * (r + 1) / ranks)
    }

    /// This rank's shards.
    public func shards(shardCount: Int) -> Range<Int> { shards(ofRank: rank, shardCount: shardCount) }

    /// The batch rows of rank `r`'s shards.
    public func rows(ofRank r: Int, plan: ShardPlan, batchRows: Int) -> Range<Int> {
        let shards = shards(ofRank: r, shardCount: plan.shardCount(rows: batchRows))
        let start = min(batchRows, shards.lowerBound * plan.shardSize)
        return start..<min(batchRows, max(start, shards.upperBound * plan.shardSize))
    }

    /// The blocks each rank owns, by rank, each list in block order: balanced by cost over the ranks.
    public func blocksByRank(_ blocks: [GradientBlock]) -> [[GradientBlock]] {
        StepEngine.balance(blocks, workers: ranks).map { $0.sorted { $0.index < $1.index } }
    }

    /// The blocks this rank owns, in block order.
    public func ownedBlocks(_ blocks: [GradientBlock]) -> [GradientBlock] { blocksByRank(blocks)[rank] }
}
