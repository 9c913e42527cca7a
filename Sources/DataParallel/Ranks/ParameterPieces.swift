import NeuralNet
import Settings
import Synchronization

/// Phase 2's updated weights, sent block by block as soon as each block is updated, so they travel
/// while this rank computes its other blocks and the other ranks compute theirs.
///
/// Each gradient block's weights are one contiguous range of the parameters
/// (`GradientBlock.weightRange`). When phase 2 starts, every rank posts one receive for each block
/// another rank owns, straight into that range of its parameters; as each block of its own is
/// updated, it posts one send of the range to every other rank, tagged with the block's index, so
/// sends and receives match in whatever order blocks finish. No rank reads another rank's blocks
/// during phase 2, so the receives may land while it computes. Biases, which lie between the
/// layers' weights, travel afterwards with the blocks' Σ g² in the small side exchange
/// (`BlockExchange.shareSides`), which is also the step's one synchronisation.
///
/// MPI is called from worker 0 only (the thread that started MPI: MPI_THREAD_FUNNELED). The other
/// workers mark their finished blocks; worker 0, after each of its own blocks, posts the sends of
/// every finished block and tests the messages in flight, so they progress while it computes.
///
/// Per step and rank: R − 1 sends of each owned block's weights and one receive of each other
/// block's; `receivedBytes` is 4 × the other ranks' weights. Nothing is allocated per step.
final class ParameterPieces {
    private let ranks: Communicator
    private let blocks: [GradientBlock]
    /// Each block's owner, by block index.
    private let owners: [Int]
    /// This rank's blocks (indices).
    private let owned: [Int]
    /// By block index: the generation in which the block was last updated (set by any worker).
    private let finished: UnsafeMutablePointer<Atomic<Int>>
    /// By position in `owned`: the generation in which its sends were last posted (worker 0 only).
    private let sent: UnsafeMutablePointer<Int>
    /// Bumped by `begin`; a block is finished or sent in this step when its mark equals it.
    private var generation = 0
    private var parameters: UnsafeMutablePointer<Float>?
    private let messages: MessageSet
    /// Whether a step's pieces are in flight: from `begin` until `finish`.
    private(set) var isActive = false
    /// Bytes this rank receives per step: the other ranks' weights.
    let receivedBytes: Int
    /// Messages this rank posts per step: its receives and sends.
    let messagesPerStep: Int

    init(ranks: Communicator, shares: RankShares, blocks: [GradientBlock]) {
        precondition(blocks.count <= 32_767, "block indices are message tags, at most 32767 (MPI_TAG_UB's least)")
        self.ranks = ranks
        self.blocks = blocks
        var owners = [Int](repeating: 0, count: blocks.count)
        for (r, owned) in shares.blocksByRank(blocks).enumerated() {
            for block in owned { owners[block.index] = r }
        }
        self.owners = owners
        owned = blocks.indices.filter { owners[$0] == shares.rank }
        finished = .allocate(capacity: max(blocks.count, 1))
        for index in 0..<max(blocks.count, 1) { (finished + index).initialize(to: Atomic(0)) }
        sent = .allocate(capacity: max(owned.count, 1))
        sent.initialize(repeating: 0, count: max(owned.count, 1))
        let others = blocks.indices.filter { owners[$0] != shares.rank }
        receivedBytes = others.reduce(0) { $0 + 4 * blocks[$1].weightRange.count }
        messagesPerStep = others.count + owned.count * (shares.ranks - 1)
        messages = MessageSet(capacity: messagesPerStep)
    }

    deinit {
        finished.deinitialize(count: max(blocks.count, 1))
        finished.deallocate()
        sent.deallocate()
    }

    /// Before phase 2's updates: posts the receives of the other ranks' blocks into `parameters`.
    func begin(_ parameters: UnsafeMutablePointer<Float>) throws(TrainingError) {
        precondition(!isActive, "a step's parameter pieces began twice")
        generation += 1
        self.parameters = parameters
        isActive = true
        for (index, block) in blocks.enumerated() where owners[index] != ranks.rank && !block.weightRange.isEmpty {
            try ranks.receive(into: parameters + block.weightRange.lowerBound, count: block.weightRange.count, type: .float,
                              from: owners[index], tag: index, in: messages)
        }
    }

    /// Called by each worker after it updated `block`: marks it; on worker 0, also posts the sends of
    /// every finished block and lets the messages progress.
    func blockUpdated(_ block: Int, worker: Int) {
        finished[block].store(generation, ordering: .releasing)
        guard worker == 0 else { return }
        ranks.orAbort { () throws(TrainingError) in
            try sendFinishedBlocks()
            try ranks.progress(messages)
        }
    }

    /// Posts the sends of this rank's blocks that are updated and not yet sent (all of them, after phase 2).
    func sendFinishedBlocks() throws(TrainingError) {
        guard let parameters, isActive else { return }
        for (position, index) in owned.enumerated()
        where sent[position] != generation && finished[index].load(ordering: .acquiring) == generation {
            sent[position] = generation
            let range = blocks[index].weightRange
            guard !range.isEmpty else { continue }
            for destination in 0..<ranks.size where destination != ranks.rank {
                try ranks.send(parameters + range.lowerBound, count: range.count, type: .float, to: destination, tag: index,
                               in: messages)
            }
        }
    }

    /// After phase 2: posts the sends not yet posted (every owned block must have been updated),
    /// then waits until every send and receive of the step is complete.
    func finish() throws(TrainingError) {
        guard isActive else { return }
        try sendFinishedBlocks()
        for position in owned.indices {
            precondition(sent[position] == generation, "block \(owned[position]) was not updated in phase 2")
        }
        try ranks.wait(messages)
        isActive = false
    }
}
