import Dispatch
import NeuralNet
import Settings

/// What a run across processes exchanges within a step, with one MPI_Allgatherv per buffer, all in
/// place (nothing is allocated per step):
///
///  - after phase 1: every layer's δ and every layer's input but the first (the operands of the
///    gradient products) for this rank's rows, and its shards' loss and weight sums;
///  - after the gradient blocks: the Σ g² of this rank's blocks (then summed in block order on every
///    rank, so all ranks see the same norm);
///  - after the updates: the parameters of this rank's blocks (`BlockExchange`).
///
/// The first layer's input needs no exchange: every rank gathers all the batch's rows from its own
/// copy of the data.
final class RankExchange {
    let ranks: Communicator
    let shares: RankShares
    private let plan: ShardPlan
    /// Row buffers phase 2 reads, each with its width: δ of every layer, inputs of every layer but the first.
    private let rowBuffers: [(pointer: UnsafeMutablePointer<Float>, width: Int)]
    private let shardLoss: UnsafeMutablePointer<Double>
    private let shardWeight: UnsafeMutablePointer<Double>
    private let blockSquares: UnsafeMutablePointer<Double>
    /// Scratch counts and displacements (R each) for the row and shard exchanges.
    private let counts: UnsafeMutablePointer<Int32>
    private let displacements: UnsafeMutablePointer<Int32>
    /// Σ g² by owner section (rank 0's blocks in block order, then rank 1's, …) and the block at each position.
    private let squares: UnsafeMutablePointer<Double>
    private let squareCounts: UnsafeMutablePointer<Int32>
    private let squareDisplacements: UnsafeMutablePointer<Int32>
    private let squareBlocks: [Int]
    private let ownedBlocks: [Int]
    let parameterExchange: BlockExchange
    /// Totals since the engine was made: what this rank received, in how many collectives, and how long they took.
    private(set) var traffic = CommunicationTraffic()

    init(ranks: Communicator, plan: ShardPlan, batch: NetworkPass, afterDropout: Bool, blocks: [GradientBlock],
         shardLoss: UnsafeMutablePointer<Double>, shardWeight: UnsafeMutablePointer<Double>,
         blockSquares: UnsafeMutablePointer<Double>) {
        self.ranks = ranks
        shares = RankShares(rank: ranks.rank, ranks: ranks.size)
        self.plan = plan
        let layers = batch.architecture.layers
        rowBuffers = layers.indices.flatMap { l in
            let operands = batch.gradientOperands(ofLayer: l, afterDropout: afterDropout)
            return [(operands.delta, layers[l].outputs)] + (operands.input.map { [($0, layers[l].inputs)] } ?? [])
        }
        (self.shardLoss, self.shardWeight, self.blockSquares) = (shardLoss, shardWeight, blockSquares)
        counts = .allocate(capacity: ranks.size)
        counts.initialize(repeating: 0, count: ranks.size)
        displacements = .allocate(capacity: ranks.size)
        displacements.initialize(repeating: 0, count: ranks.size)
        let byRank = shares.blocksByRank(blocks)
        squareBlocks = byRank.flatMap { $0.map(\.index) }
        ownedBlocks = byRank[ranks.rank].map(\.index)
        squares = .allocate(capacity: max(blocks.count, 1))
        squares.initialize(repeating: 0, count: max(blocks.count, 1))
        squareCounts = .allocate(capacity: ranks.size)
        squareDisplacements = .allocate(capacity: ranks.size)
        var offset = 0
        for r in 0..<ranks.size {
            (squareCounts + r).initialize(to: Int32(byRank[r].count))
            (squareDisplacements + r).initialize(to: Int32(offset))
            offset += byRank[r].count
        }
        parameterExchange = BlockExchange(blocks: blocks, shares: shares)
    }

    deinit {
        counts.deallocate()
        displacements.deallocate()
        squares.deallocate()
        squareCounts.deallocate()
        squareDisplacements.deallocate()
    }

    /// After phase 1: every rank's rows of the gradient operands, and every shard's loss and weight.
    func gatherRows(batchRows rows: Int) throws(TrainingError) {
        let shardCount = plan.shardCount(rows: rows)
        for (pointer, width) in rowBuffers {
            for r in 0..<shares.ranks {
                let owned = shares.rows(ofRank: r, plan: plan, batchRows: rows)
                counts[r] = Int32(owned.count * width)
                displacements[r] = Int32(owned.lowerBound * width)
            }
            try exchange(pointer, type: .float)
        }
        for r in 0..<shares.ranks {
            let owned = shares.shards(ofRank: r, shardCount: shardCount)
            counts[r] = Int32(owned.count)
            displacements[r] = Int32(owned.lowerBound)
        }
        try exchange(shardLoss, type: .double)
        try exchange(shardWeight, type: .double)
    }

    /// After the gradient blocks: every block's Σ g² into `blockSquares`, by block index.
    func gatherSquares() throws(TrainingError) {
        var position = Int(squareDisplacements[shares.rank])
        for block in ownedBlocks {
            squares[position] = blockSquares[block]
            position += 1
        }
        try measure(received: (squareBlocks.count - ownedBlocks.count) * 8) { () throws(TrainingError) in
            try ranks.allgatherInPlace(squares, counts: squareCounts, displacements: squareDisplacements, type: .double)
        }
        for (position, block) in squareBlocks.enumerated() { blockSquares[block] = squares[position] }
    }

    /// After the updates: every owner's parameters of its blocks, so every rank holds the same model.
    func shareParameters(_ parameters: UnsafeMutablePointer<Float>) throws(TrainingError) {
        let own = Int(parameterExchange.counts[shares.rank])
        try measure(received: (parameterExchange.totalCount - own) * 4) { () throws(TrainingError) in
            try parameterExchange.share(parameters, over: ranks)
        }
    }

    /// One in-place allgather of `buffer` with the scratch counts and displacements.
    private func exchange(_ buffer: UnsafeMutableRawPointer, type: CommunicatedType) throws(TrainingError) {
        var total = 0
        for r in 0..<shares.ranks { total += Int(counts[r]) }
        try measure(received: (total - Int(counts[shares.rank])) * type.size) { () throws(TrainingError) in
            try ranks.allgatherInPlace(buffer, counts: counts, displacements: displacements, type: type)
        }
    }

    @inline(__always)
    private func measure(received bytes: Int, _ body: () throws(TrainingError) -> Void) throws(TrainingError) {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        traffic.record(bytes: bytes, nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
    }
}

/// What one rank received from the others, in how many collective calls, and the time spent in them
/// (waiting for slower ranks included).
public struct CommunicationTraffic: Sendable, Equatable {
    public var bytes = 0
    public var collectives = 0
    public var nanoseconds: UInt64 = 0

    public init() {}

    mutating func record(bytes received: Int, nanoseconds elapsed: UInt64) {
        bytes += received
        collectives += 1
        nanoseconds += elapsed
    }

    /// The traffic since `earlier`.
    public func since(_ earlier: CommunicationTraffic) -> CommunicationTraffic {
        var difference = CommunicationTraffic()
        difference.bytes = bytes - earlier.bytes
        difference.collectives = collectives - earlier.collectives
        difference.nanoseconds = nanoseconds - earlier.nanoseconds
        return difference
    }
}
