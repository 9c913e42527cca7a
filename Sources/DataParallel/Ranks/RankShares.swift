import NeuralNet

/// Who computes what in a run across `ranks` processes, as pure functions of the batch, the shard
/// plan and the architecture: the same on every rank, and never changing a float operation.
///
/// Phase 1: rank r runs the contiguous shards `shards(ofRank:)` (so its rows of the batch buffers are
/// contiguous and can be exchanged with one message per buffer); its workers stride over them.
/// Phase 2: the gradient blocks are cut into consecutive runs balanced by cost, one per rank, then
/// each rank's are balanced over its workers; a block's owner alone computes it, updates its
/// parameters and keeps its optimizer state.
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

    /// The blocks each rank owns, by rank: consecutive runs in block order, cut where the costliest
    /// rank's cost is least. Consecutive blocks make each rank's weights one span of the parameter
    /// buffer, which the step's exchange gathers in place, without copies (`BlockExchange`). Ranks
    /// beyond what the blocks need own none.
    public func blocksByRank(_ blocks: [GradientBlock]) -> [[GradientBlock]] {
        Self.consecutiveRuns(costs: blocks.map(\.cost), parts: ranks).map { Array(blocks[$0]) }
    }

    /// `parts` consecutive runs covering `costs` (empty ones last) whose largest sum is least: a binary
    /// search on that sum, each candidate tried by filling runs greedily from the front.
    static func consecutiveRuns(costs: [Int], parts: Int) -> [Range<Int>] {
        func runs(limit: Int) -> [Range<Int>] {
            var result: [Range<Int>] = [], start = 0, sum = 0
            for (index, cost) in costs.enumerated() {
                if sum + cost > limit && index > start {
                    result.append(start..<index)
                    (start, sum) = (index, 0)
                }
                sum += cost
            }
            if start < costs.count { result.append(start..<costs.count) }
            return result
        }
        var low = costs.max() ?? 0, high = costs.reduce(0, +)
        while low < high {
            let middle = (low + high) / 2
            if runs(limit: middle).count <= parts { high = middle } else { low = middle + 1 }
        }
        var result = runs(limit: low)
        while result.count < parts { result.append(costs.count..<costs.count) }
        return result
    }

    /// The blocks this rank owns, in block order.
    public func ownedBlocks(_ blocks: [GradientBlock]) -> [GradientBlock] { blocksByRank(blocks)[rank] }
}
