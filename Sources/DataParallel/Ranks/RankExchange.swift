import Dispatch
import NeuralNet
import Settings

/// What a run across processes exchanges within a step. Rows and parameters are moved in place
/// where they live, with no copy by H5Train; only small sums are packed. Each step has one
/// synchronisation after each phase (two after phase 2 when clipping by norm or skipping non-finite
/// steps needs the norm before any update), and the bulk of the bytes travels before it, while the
/// ranks compute. H5Train allocates nothing per step (Open MPI's non-blocking collectives do,
/// inside the library).
///
///  - **Phase 1's rows.** The operands of the gradient products: every layer's δ and every layer's
///    input but the first; rank r's rows of each buffer are contiguous, one in-place all-gather per
///    buffer. The inputs and the output layer's δ are complete once the rank's shards have run
///    forward: their all-gathers start then (`startForwardRows`) and travel while the hidden
///    layers' δ are computed, worker 0 letting them progress between shards. The hidden δ follow
///    with, packed, the shards' loss and weight sums (Float64) and the rank's vote on stopping
///    (Float64, 1 when SIGINT or SIGTERM asked to stop); all end together (`gatherRows`).
///    The first layer's input is not among them: every rank gathers all the batch's rows, from its
///    own copy of the data or, when each rank holds only its part, from `BatchRowsExchange`, whose
///    all-gather travels with the step before's parameters (counted in `traffic` too).
///  - **Phase 2's parameters.** Each updated block's weights are sent to the other ranks as soon as
///    the block is updated (`ParameterPieces`), so they travel while the rank's other blocks are
///    computed; the blocks' Σ g² and the biases follow in one small all-gather (`BlockExchange`),
///    so every rank sums all blocks' squares in block order and holds the same model. Without the
///    fused update, the squares travel first on their own.
///
/// Each synchronisation is a point where every rank waits for the last one, so one per phase keeps
/// the step's synchronisation to that of the worker pool's two barriers.
final class RankExchange {
    let ranks: Communicator
    let shares: RankShares
    private let plan: ShardPlan
    /// Row buffers phase 2 reads, each with its width: δ of every layer, inputs of every layer but the first.
    private let rowBuffers: [(pointer: UnsafeMutablePointer<Float>, width: Int)]
    /// Σ widths of `rowBuffers`: floats one batch row contributes.
    private let rowWidth: Int
    private let shardLoss: UnsafeMutablePointer<Double>
    private let shardWeight: UnsafeMutablePointer<Double>
    private let blockSquares: UnsafeMutablePointer<Double>
    /// Each row buffer's rank sections (floats; buffer b's for rank r at `b·R + r`), recomputed per step.
    private let rowCounts: UnsafeMutablePointer<Int32>
    private let rowDisplacements: UnsafeMutablePointer<Int32>
    /// The shard sums and votes: sections in rank order, bytes; counts and displacements recomputed per step.
    private let sums: UnsafeMutableRawPointer
    private let counts: UnsafeMutablePointer<Int32>
    private let displacements: UnsafeMutablePointer<Int32>
    /// The rows exchange's all-gathers: one per row buffer, in place, and the sums'.
    private let rowGathers: GatherSet
    /// By row buffer: whether it is complete after the forward passes (an input, or the output δ).
    private let startsAfterForward: [Bool]
    /// Those buffers' all-gathers, started before the hidden layers' δ (`startForwardRows`).
    private let forwardGathers: GatherSet
    private var forwardRowsStarted = false
    private var forwardSections = (receivedRows: 0, sumBytes: 0)
    /// Σ g² by owner section (rank 0's blocks in block order, then rank 1's, …) and the block at each position.
    private let squares: UnsafeMutablePointer<Double>
    private let squareCounts: UnsafeMutablePointer<Int32>
    private let squareDisplacements: UnsafeMutablePointer<Int32>
    private let squareBlocks: [Int]
    private let ownedBlocks: [Int]
    /// The step's parameter exchange (with the blocks' squares).
    let parameterExchange: BlockExchange
    /// The step's updated weights, block by block, during phase 2.
    let pieces: ParameterPieces
    /// Optimizer state and gradient, for checkpoints and observers (values only).
    let stateExchange: BlockExchange
    /// Each rank's stop vote, by rank, as the last rows exchange carried it (1: stop).
    private let votes: UnsafeMutablePointer<Double>
    /// This rank's vote for the next rows exchange.
    var stopVote = false
    /// Whether any rank voted to stop in the last step's rows exchange.
    var anyRankVotedStop: Bool {
        for r in 0..<shares.ranks where votes[r] != 0 { return true }
        return false
    }
    /// Totals since the engine was made: what this rank received, in how many collectives, and how long they took.
    var traffic = CommunicationTraffic()

    init(ranks: Communicator, plan: ShardPlan, batch: NetworkPass, afterDropout: Bool, blocks: [GradientBlock],
         shardLoss: UnsafeMutablePointer<Double>, shardWeight: UnsafeMutablePointer<Double>,
         blockSquares: UnsafeMutablePointer<Double>) {
        self.ranks = ranks
        shares = RankShares(rank: ranks.rank, ranks: ranks.size)
        self.plan = plan
        let layers = batch.architecture.layers
        let last = layers.count - 1
        let buffers = layers.indices.flatMap { l in
            let operands = batch.gradientOperands(ofLayer: l, afterDropout: afterDropout)
            return [(operands.delta, layers[l].outputs, l == last)] + (operands.input.map { [($0, layers[l].inputs, true)] } ?? [])
        }
        rowBuffers = buffers.map { ($0.0, $0.1) }
        startsAfterForward = buffers.map(\.2)
        forwardGathers = GatherSet(capacity: buffers.count)
        rowWidth = rowBuffers.reduce(0) { $0 + $1.width }
        (self.shardLoss, self.shardWeight, self.blockSquares) = (shardLoss, shardWeight, blockSquares)
        precondition(batch.capacity * (rowBuffers.map(\.width).max() ?? 0) <= Int(Int32.max),
                     "a batch's rows do not fit one MPI message")
        precondition(Set(rowBuffers.map { UnsafeRawPointer($0.pointer) }).count == rowBuffers.count, "row buffers overlap")
        let sumBytes = 16 * plan.shardCount(rows: batch.capacity) + 8 * ranks.size
        sums = .allocate(byteCount: sumBytes, alignment: 16)
        sums.initializeMemory(as: UInt8.self, repeating: 0, count: sumBytes)
        rowCounts = .allocate(capacity: rowBuffers.count * ranks.size)
        rowCounts.initialize(repeating: 0, count: rowBuffers.count * ranks.size)
        rowDisplacements = .allocate(capacity: rowBuffers.count * ranks.size)
        rowDisplacements.initialize(repeating: 0, count: rowBuffers.count * ranks.size)
        rowGathers = GatherSet(capacity: rowBuffers.count + 1)
        votes = .allocate(capacity: ranks.size)
        votes.initialize(repeating: 0, count: ranks.size)
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
        parameterExchange = BlockExchange(blocks: blocks, shares: shares, carriesSquares: true)
        pieces = ParameterPieces(ranks: ranks, shares: shares, blocks: blocks)
        stateExchange = BlockExchange(blocks: blocks, shares: shares)
    }

    deinit {
        sums.deallocate()
        rowCounts.deallocate()
        rowDisplacements.deallocate()
        votes.deallocate()
        counts.deallocate()
        displacements.deallocate()
        squares.deallocate()
        squareCounts.deallocate()
        squareDisplacements.deallocate()
    }

    /// After phase 1: every rank's rows of the gradient operands, gathered in place in their
    /// buffers (rank r's rows of each are contiguous), and every shard's loss and weight and every
    /// rank's stop vote, packed; all the all-gathers made together.
    func gatherRows(batchRows: Int) throws(TrainingError) {
        let shardCount = plan.shardCount(rows: batchRows), size = shares.ranks
        let early = forwardRowsStarted
        let (receivedRows, sumBytes) = early ? (forwardSections.receivedRows, forwardSections.sumBytes) : setSections(batchRows: batchRows)
        votes[shares.rank] = stopVote ? 1 : 0
        copySums(ofRank: shares.rank, shardCount: shardCount, packing: true)
        rowGathers.removeAll()
        for b in rowBuffers.indices where !(early && startsAfterForward[b]) { rowGathers.append(rowGather(b)) }
        rowGathers.append(InPlaceGather(buffer: sums, counts: counts, displacements: displacements, type: .byte))
        let received = 4 * receivedRows * rowWidth + sumBytes - Int(counts[shares.rank])
        try measure(received: received, calls: rowGathers.count + (early ? forwardGathers.count : 0)) { () throws(TrainingError) in
            try ranks.allgatherInPlace(rowGathers)
            if early { try ranks.wait(forwardGathers) }
        }
        forwardRowsStarted = false
        for r in 0..<size where r != shares.rank {
            copySums(ofRank: r, shardCount: shardCount, packing: false)
        }
    }

    /// After the forward passes of this rank's shards, before their hidden layers' δ: starts the
    /// all-gathers of the buffers already complete (every layer's input but the first, and the
    /// output layer's δ), so they travel while the δ are computed; `gatherRows` ends them.
    func startForwardRows(batchRows: Int) throws(TrainingError) {
        precondition(!forwardRowsStarted, "the forward rows were started twice in one step")
        forwardSections = setSections(batchRows: batchRows)
        forwardGathers.removeAll()
        for b in rowBuffers.indices where startsAfterForward[b] { forwardGathers.append(rowGather(b)) }
        try ranks.startAllgathers(forwardGathers)
        forwardRowsStarted = true
    }

    /// Lets the forward rows' all-gathers progress (worker 0, between its shards' δ).
    func progressForwardRows() throws(TrainingError) {
        guard forwardRowsStarted else { return }
        try ranks.progress(forwardGathers)
    }

    /// Row buffer `b`'s all-gather, with the sections `setSections` set.
    private func rowGather(_ b: Int) -> InPlaceGather {
        InPlaceGather(buffer: UnsafeMutableRawPointer(rowBuffers[b].pointer), counts: rowCounts + b * shares.ranks,
                      displacements: rowDisplacements + b * shares.ranks, type: .float)
    }

    /// Sets every row buffer's and the sums' rank sections for a batch of `batchRows`; returns the
    /// rows this rank receives and the sums' bytes of all ranks.
    private func setSections(batchRows: Int) -> (receivedRows: Int, sumBytes: Int) {
        let shardCount = plan.shardCount(rows: batchRows), size = shares.ranks
        var offset = 0, receivedRows = 0
        for r in 0..<size {
            let owned = shares.rows(ofRank: r, plan: plan, batchRows: batchRows)
            for (b, buffer) in rowBuffers.enumerated() {
                (rowCounts[b * size + r], rowDisplacements[b * size + r]) = (Int32(owned.count * buffer.width), Int32(owned.lowerBound * buffer.width))
            }
            if r != shares.rank { receivedRows += owned.count }
            let bytes = 16 * shares.shards(ofRank: r, shardCount: shardCount).count + 8
            (counts[r], displacements[r]) = (Int32(bytes), Int32(offset))
            offset += bytes
        }
        return (receivedRows, offset)
    }

    /// Copies rank `r`'s shard sums and stop vote into its section of `sums` (`packing`), or back out of it.
    private func copySums(ofRank r: Int, shardCount: Int, packing: Bool) {
        var section = sums + Int(displacements[r])
        @inline(__always) func move(_ place: UnsafeMutableRawPointer, _ bytes: Int) {
            if packing { section.copyMemory(from: place, byteCount: bytes) } else { place.copyMemory(from: section, byteCount: bytes) }
            section += bytes
        }
        let shards = shares.shards(ofRank: r, shardCount: shardCount)
        if !shards.isEmpty {
            move(UnsafeMutableRawPointer(shardLoss + shards.lowerBound), 8 * shards.count)
            move(UnsafeMutableRawPointer(shardWeight + shards.lowerBound), 8 * shards.count)
        }
        move(UnsafeMutableRawPointer(votes + r), 8)
    }

    /// Before any update (clipping by norm, skipping non-finite steps): every block's Σ g² into
    /// `blockSquares`, by block index.
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

    /// After the updates: every owner's Σ g² and parameters of its blocks, so every rank sees the
    /// same norm and holds the same model; `alongside` (another all-gather, such as the next batch's
    /// input rows) is made at the same time.
    func shareParameters(_ parameters: UnsafeMutablePointer<Float>, alongside: InPlaceGather? = nil) throws(TrainingError) {
        precondition(pieces.isActive, "parameters shared without their pieces begun before the updates")
        let exchange = parameterExchange
        let alongsideBytes = alongside?.receivedBytes(rank: shares.rank, ranks: shares.ranks) ?? 0
        let received = pieces.receivedBytes + exchange.sideReceivedPerShare + alongsideBytes
        try measure(received: received, calls: alongside == nil ? 1 : 2, messages: pieces.messagesPerStep) { () throws(TrainingError) in
            try pieces.sendFinishedBlocks()
            try exchange.shareSides(parameters, squares: blockSquares, alongside: alongside, over: ranks)
            try pieces.finish()
        }
    }

    @inline(__always)
    private func measure(received bytes: Int, calls: Int = 1, messages: Int = 0,
                         _ body: () throws(TrainingError) -> Void) throws(TrainingError) {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        traffic.record(bytes: bytes, calls: calls, messages: messages, nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
    }
}

/// What one rank received from the others, in how many collective calls, and the time spent in them
/// (waiting for slower ranks included).
public struct CommunicationTraffic: Sendable, Equatable {
    public var bytes = 0
    public var collectives = 0
    /// Point-to-point messages posted (sends and receives), which travel during computation.
    public var messages = 0
    public var nanoseconds: UInt64 = 0

    public init() {}

    mutating func record(bytes received: Int, calls: Int, messages posted: Int = 0, nanoseconds elapsed: UInt64) {
        bytes += received
        collectives += calls
        messages += posted
        nanoseconds += elapsed
    }

    /// The traffic since `earlier`.
    public func since(_ earlier: CommunicationTraffic) -> CommunicationTraffic {
        var difference = CommunicationTraffic()
        difference.bytes = bytes - earlier.bytes
        difference.collectives = collectives - earlier.collectives
        difference.messages = messages - earlier.messages
        difference.nanoseconds = nanoseconds - earlier.nanoseconds
        return difference
    }
}
