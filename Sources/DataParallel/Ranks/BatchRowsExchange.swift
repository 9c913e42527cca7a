import Dispatch
import Settings

/// The input rows of each step's batch, when every rank holds only its part of the training rows,
/// in their stored type: in memory rank r holds samples ⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋
/// (`heldRows(ofRank:)`); streamed, each rank reads only its share of each window's blocks
/// (`RowHolders.windowBlocks`), and a batch's rows are indices into the reader's slots.
///
/// Before a step every rank packs the batch's rows it holds (stored bytes, in batch order) into its
/// section of `sections`, one in-place all-gather gives every rank every section, and each rank
/// unpacks them into `batchRows` in batch order. The step then reads rows 0 ..< B of that buffer,
/// converted and normalised exactly as rows of the whole matrix would be, so the bits are those of
/// one process. The targets (every rank holds all of them) are copied into `batchTargets` alike.
///
/// Owned buffers (B = the largest batch, F = features, b = bytes per stored value, w = target width):
///
///     sections      (B × F × b bytes)  the batch's rows grouped by holder, rank 0's first
///     batchRows     (B × F × b bytes)  the batch's rows in batch order
///     batchTargets  (B × w, Float)     the batch's targets in batch order
///     identity      (B, Int32)         0, 1, …, B − 1: the step's row indices into `batchRows`
///     counts, displacements, cursors (R each): bytes of each holder's section, recomputed per step
///
/// Nothing is allocated after `init`.
public final class BatchRowsExchange: @unchecked Sendable {
    public let shares: RankShares
    /// Which rank holds each row the batches index.
    public let holders: RowHolders
    public let featureCount: Int
    /// Bytes of one stored value (1 for uint8, 4 for float32, 8 for float64).
    public let valueBytes: Int
    public let targetWidth: Int
    public let capacity: Int
    let rowBytes: Int
    let sections: UnsafeMutableRawPointer
    let batchRows: UnsafeMutableRawPointer
    let batchTargets: UnsafeMutablePointer<Float>
    private let identity: UnsafeMutablePointer<Int32>
    let counts: UnsafeMutablePointer<Int32>
    let displacements: UnsafeMutablePointer<Int32>
    private let cursors: UnsafeMutablePointer<Int>
    /// The batch whose rows `sections` hold, gathered already with the step before's parameters
    /// (`prefetch`): its row count and first and last samples; nil when none is.
    private var gathered: (count: Int, first: Int32, last: Int32)?

    /// An exchange for training rows spread over the ranks in memory: batches index the whole
    /// set's `totalRows` samples, rank r holding ⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋.
    public convenience init(shares: RankShares, totalRows: Int, featureCount: Int, valueBytes: Int, targetWidth: Int, capacity: Int) {
        precondition(totalRows >= 1, "an exchange needs rows")
        self.init(shares: shares, holders: .contiguous(totalRows: totalRows), featureCount: featureCount,
                  valueBytes: valueBytes, targetWidth: targetWidth, capacity: capacity)
    }

    public init(shares: RankShares, holders: RowHolders, featureCount: Int, valueBytes: Int, targetWidth: Int, capacity: Int) {
        precondition(featureCount >= 1 && capacity >= 1, "an exchange needs features and a batch")
        (self.shares, self.holders, self.featureCount) = (shares, holders, featureCount)
        (self.valueBytes, self.targetWidth, self.capacity) = (valueBytes, targetWidth, capacity)
        rowBytes = featureCount * valueBytes
        let bytes = capacity * rowBytes
        precondition(bytes <= Int(Int32.max), "a batch's input rows (\(bytes) bytes) do not fit one MPI message")
        sections = .allocate(byteCount: bytes, alignment: 16)
        sections.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        batchRows = .allocate(byteCount: bytes, alignment: 16)
        batchRows.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        batchTargets = .allocate(capacity: capacity * targetWidth)
        batchTargets.initialize(repeating: 0, count: capacity * targetWidth)
        identity = .allocate(capacity: capacity)
        for i in 0..<capacity { (identity + i).initialize(to: Int32(i)) }
        counts = .allocate(capacity: shares.ranks)
        counts.initialize(repeating: 0, count: shares.ranks)
        displacements = .allocate(capacity: shares.ranks)
        displacements.initialize(repeating: 0, count: shares.ranks)
        cursors = .allocate(capacity: shares.ranks)
        cursors.initialize(repeating: 0, count: shares.ranks)
    }

    deinit {
        sections.deallocate()
        batchRows.deallocate()
        batchTargets.deallocate()
        identity.deallocate()
        counts.deallocate()
        displacements.deallocate()
        cursors.deallocate()
    }

    /// The samples rank `r` holds: ⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋.
    public static func heldRows(ofRank r: Int, ranks: Int, totalRows: Int) -> Range<Int> {
        (totalRows * r / ranks)..<(totalRows * (r + 1) / ranks)
    }

    /// Training rows of the whole set (N) when they are spread in memory; nil when streamed.
    public var totalRows: Int? {
        if case .contiguous(let rows) = holders { rows } else { nil }
    }

    /// The samples this rank holds in memory (all the rows a streamed batch may index).
    public var heldRows: Range<Int> {
        switch holders {
        case .contiguous(let rows): Self.heldRows(ofRank: shares.rank, ranks: shares.ranks, totalRows: rows)
        case .windowBlocks(_, let slotRows): 0..<(2 * slotRows)
        }
    }

    /// The rank holding `sample`.
    @inline(__always)
    func holder(of sample: Int) -> Int { holders.holder(of: sample, ranks: shares.ranks) }

    /// Bytes this rank receives from the others for a batch: the rows it does not hold.
    var receivedBytes: Int {
        var total = 0
        for r in 0..<shares.ranks where r != shares.rank { total += Int(counts[r]) }
        return total
    }

    /// Sets each holder's section (bytes) for the batch `rows` (global sample indices, batch order).
    func prepare(_ rows: UnsafeBufferPointer<Int32>) {
        precondition(rows.count >= 1 && rows.count <= capacity, "batch of \(rows.count) rows outside 1...\(capacity)")
        for r in 0..<shares.ranks { counts[r] = 0 }
        for sample in rows { counts[holder(of: Int(sample))] += Int32(rowBytes) }
        var offset: Int32 = 0
        for r in 0..<shares.ranks {
            displacements[r] = offset
            offset += counts[r]
        }
    }

    /// Copies the batch's rows this rank holds, in batch order, from `local` (its held rows, stored
    /// values, the first being sample `heldRows.lowerBound`; streamed, the reader's slots) into its section.
    func pack(_ rows: UnsafeBufferPointer<Int32>, from local: UnsafeRawPointer) {
        let first = heldRows.lowerBound
        var section = sections + Int(displacements[shares.rank])
        for sample in rows where holder(of: Int(sample)) == shares.rank {
            section.copyMemory(from: local + (Int(sample) - first) * rowBytes, byteCount: rowBytes)
            section += rowBytes
        }
    }

    /// After the gather: every section's rows into `batchRows` in batch order, and every row's
    /// targets (from `targets`, all samples × targetWidth) into `batchTargets`.
    func unpack(_ rows: UnsafeBufferPointer<Int32>, targets: UnsafePointer<Float>) {
        for r in 0..<shares.ranks { cursors[r] = Int(displacements[r]) }
        for (position, sample) in rows.enumerated() {
            let r = holder(of: Int(sample))
            (batchRows + position * rowBytes).copyMemory(from: sections + cursors[r], byteCount: rowBytes)
            cursors[r] += rowBytes
            (batchTargets + position * targetWidth).update(from: targets + Int(sample) * targetWidth, count: targetWidth)
        }
    }

    /// The step's selection after `unpack`: rows 0 ..< rows.count of `batchRows`, read with the
    /// held matrix's type and scaling (`local`), so each value is what the whole matrix would give.
    func selection(rows count: Int, like local: FeatureRows) -> BatchSelection {
        BatchSelection(features: local.reading(batchRows), targets: batchTargets,
                       rows: UnsafeBufferPointer(start: identity, count: count))
    }

    /// Gives every rank the batch `rows` (global sample indices, the same on every rank) and returns
    /// the selection to train the step on. If `prefetch` gathered them with the step before, they
    /// are only unpacked; else this rank packs those it holds (`local`, its held samples as a view),
    /// all-gathers the sections in place over `engine.ranks` (counted in its traffic), and unpacks
    /// them in batch order. A collective: every rank calls it for every step.
    public func gather(_ rows: UnsafeBufferPointer<Int32>, local: FeatureRows, targets: UnsafePointer<Float>,
                       engine: StepEngine) throws(TrainingError) -> BatchSelection {
        precondition(local.featureCount == featureCount, "held rows have \(local.featureCount) features, not \(featureCount)")
        if gathered.map({ $0 != Self.marker(rows) }) ?? true {
            prepare(rows)
            pack(rows, from: local.storage)
            let start = DispatchTime.now().uptimeNanoseconds
            try engine.ranks.allgatherInPlace(sections, counts: counts, displacements: displacements, type: .byte)
            engine.exchange?.traffic.record(bytes: receivedBytes, calls: 1,
                                            nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        }
        gathered = nil
        unpack(rows, targets: targets)
        return selection(rows: rows.count, like: local)
    }

    /// After `gather` and before the step: packs the batch `next` (the one after, the same on every
    /// rank) and hands its all-gather to `engine`, which makes it with this step's parameter
    /// exchange, so exchanging the input rows costs the ranks no wait of its own. `settle` after
    /// the step records whether it was made.
    public func prefetch(_ next: UnsafeBufferPointer<Int32>, local: FeatureRows, engine: StepEngine) {
        prepare(next)
        pack(next, from: local.storage)
        engine.gatherWithParameters = InPlaceGather(buffer: sections, counts: counts, displacements: displacements, type: .byte)
        gathered = Self.marker(next)
    }

    /// After a step that followed `prefetch`: a step that made no parameter exchange (a non-finite
    /// loss, alike on every rank) did not gather the next batch, which `gather` then does itself.
    public func settle(engine: StepEngine) {
        guard engine.gatherWithParameters != nil else { return }
        engine.gatherWithParameters = nil
        gathered = nil
    }

    /// One step's use of the exchange: `gather` the batch `rows` (a failure aborts the job naming
    /// this rank), `prefetch` the batch `next` when given, run `step` on the selection, and
    /// `settle`. A collective: every rank calls it for every step, with the same batches.
    public func withBatch<Result>(_ rows: UnsafeBufferPointer<Int32>, next: UnsafeBufferPointer<Int32>?, local: FeatureRows,
                                  targets: UnsafePointer<Float>, engine: StepEngine,
                                  _ step: (BatchSelection) -> Result) -> Result {
        var selection: BatchSelection?
        engine.ranks.orAbort { () throws(TrainingError) in
            selection = try gather(rows, local: local, targets: targets, engine: engine)
        }
        if let next { prefetch(next, local: local, engine: engine) }
        defer { settle(engine: engine) }
        return step(selection!)
    }

    private static func marker(_ rows: UnsafeBufferPointer<Int32>) -> (count: Int, first: Int32, last: Int32) {
        (rows.count, rows.first ?? -1, rows.last ?? -1)
    }
}

/// Which rank holds each row a batch may index, the same function on every rank.
public enum RowHolders: Sendable, Equatable {
    /// Samples 0 ..< N spread in memory: rank r holds ⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋.
    case contiguous(totalRows: Int)
    /// Rows of a streamed reader's two slots of `slotRows` rows, each window's blocks of `blockRows`
    /// rows placed one after the other: the rank that reads a row's block is its window-local
    /// position modulo R (`reader(ofBlockAt:ranks:)`).
    case windowBlocks(blockRows: Int, slotRows: Int)

    /// The rank holding row `sample` of R ranks. For `.contiguous` the r with
    /// ⌊N·r/R⌋ ≤ sample < ⌊N·(r+1)/R⌋, that is ⌊(R·(sample+1) − 1)/N⌋.
    @inline(__always)
    public func holder(of sample: Int, ranks: Int) -> Int {
        switch self {
        case .contiguous(let rows): (ranks * (sample + 1) - 1) / rows
        case .windowBlocks(let blockRows, let slotRows): Self.reader(ofBlockAt: sample % slotRows / blockRows, ranks: ranks)
        }
    }

    /// The rank that reads the block at window-local position `position` (0 = the window's first
    /// block, in file order) when R ranks share each window's blocks.
    @inline(__always)
    public static func reader(ofBlockAt position: Int, ranks: Int) -> Int { position % ranks }
}
