import Data
import DataParallel
import Settings

/// A streamed run's batches: the `WindowOrder` positions of each step, gathered from the reader's
/// resident windows. A batch lies in one window or straddles two consecutive ones (the reader
/// keeps both resident: see `BlockReader`); windows before a step's first are released to be
/// refilled.
///
/// Across R ranks (`share`) each rank's reader reads only its share of each window's blocks, and
/// before each step the ranks all-gather the batch's rows (`BatchRowsExchange` over
/// `RowHolders.windowBlocks`); the step then runs on them in batch order as one process runs on
/// the slots, so the bits are the same.
///
/// Buffers (allocated once, or once per epoch):
///
///     batch    (batchSize, Int32)        the step's rows as indices into the reader's two slots
///     nextBatch (batchSize, Int32)       across ranks, the next step's rows, gathered with this step
///     starts   (windows + 1)             the epoch's window boundaries, per epoch
final class StreamedBatches {
    let order: WindowOrder
    let batchSize: Int
    private let reader: BlockReader
    private let schedule: ReaderSchedule
    private var epoch = 0
    private var starts: [Int] = []
    /// The window holding the last step's first row.
    private var window = 0
    private var batch: [Int32]
    /// The next step's rows, when the ranks exchange them with this step's parameters.
    private var nextBatch: [Int32]
    /// The exchange of each batch's rows when the ranks share the reading; nil for one process.
    private let exchange: BatchRowsExchange?
    /// This rank among those sharing the reading.
    let share: RankShares
    var exchangesRows: Bool { exchange != nil }

    /// Starts reading at the window holding step `step` of `epoch`, through epoch `lastEpoch`; this
    /// rank reads its `share` of each window's blocks.
    init(_ features: StreamedFeatures, batchSize: Int, seed: UInt64, epoch: Int, step: Int, lastEpoch: Int, share: RankShares = .single) {
        order = WindowOrder(rows: features.rows, shape: features.shape, seed: seed)
        self.batchSize = batchSize
        batch = [Int32](repeating: 0, count: batchSize)
        nextBatch = share.ranks == 1 ? [] : [Int32](repeating: 0, count: batchSize)
        let starts = order.windowStarts(epoch: epoch)
        let first = Self.window(holding: step * batchSize, in: starts)
        schedule = ReaderSchedule(order: order, firstEpoch: epoch, firstWindow: first, lastEpoch: lastEpoch)
        reader = BlockReader(features, schedule: schedule, share: share)
        self.share = share
        exchange = share.ranks == 1 ? nil : BatchRowsExchange(
            shares: share, holders: .windowBlocks(blockRows: features.shape.blockRows, slotRows: reader.capacity),
            featureCount: features.featureCount, valueBytes: features.type.bytes, targetWidth: features.targetWidth,
            capacity: batchSize)
    }

    deinit { reader.stop() }

    func stop() { reader.stop() }

    var statistics: (blocks: Int, readSeconds: Double, waitSeconds: Double) { reader.statistics }

    private static func window(holding position: Int, in starts: [Int]) -> Int {
        var window = 0
        while starts[window + 1] <= position { window += 1 }
        return window
    }

    /// Calls `body` with the selection of step `step` of `epoch` once its windows are resident; when
    /// the ranks share the reading, once they have exchanged its rows over `engine.ranks` (a
    /// collective: every rank calls it for every step).
    func withSelection<Result>(epoch: Int, step: Int, engine: StepEngine,
                               _ body: (BatchSelection) -> Result) throws(TrainingError) -> Result {
        if epoch != self.epoch {
            (self.epoch, starts, window) = (epoch, order.windowStarts(epoch: epoch), 0)
        }
        let first = step * batchSize, end = min(first + batchSize, order.rows)
        while starts[window + 1] <= first { window += 1 }
        let index = schedule.index(epoch: epoch, window: window)
        reader.release(before: index)
        let current = try reader.window(index)
        let straddles = end > starts[window + 1]
        let next = straddles ? try reader.window(index + 1) : current
        fill(&batch, positions: first..<end, current: current, next: next)
        // The batch after this one, when its rows lie in the windows this one made resident (on
        // every rank alike: a function of the order alone), rides this step's parameter exchange.
        let following = min(end + batchSize, order.rows)
        let prefetches = exchange != nil && end < order.rows && following <= starts[window + (straddles ? 2 : 1)]
        if prefetches { fill(&nextBatch, positions: end..<following, current: current, next: next) }
        return reader.withSlots { features, targets in
            batch.withUnsafeBufferPointer { whole in
                let rows = UnsafeBufferPointer(rebasing: whole[0..<(end - first)])
                guard let exchange else { return body(BatchSelection(features: features, targets: targets, rows: rows)) }
                return nextBatch.withUnsafeBufferPointer { upcoming in
                    let next = prefetches ? UnsafeBufferPointer(rebasing: upcoming[0..<(following - end)]) : nil
                    return exchange.withBatch(rows, next: next, local: features, targets: targets, engine: engine, body)
                }
            }
        }
    }

    /// Sets `rows` to the slot rows of the order's `positions`, which lie in the current window
    /// (`current`) or the one after it (`next`).
    private func fill(_ rows: inout [Int32], positions: Range<Int>, current: ResidentWindow, next: ResidentWindow) {
        let boundary = starts[window + 1]
        rows.withUnsafeMutableBufferPointer { rows in
            for position in positions {
                let (resident, start) = position >= boundary ? (next, boundary) : (current, starts[window])
                rows[position - positions.lowerBound] = Int32(resident.slot * reader.capacity) + resident.order[position - start]
            }
        }
    }
}

/// A window the reader has loaded: its slot, row count and visiting order.
typealias ResidentWindow = (slot: Int, rows: Int, order: UnsafePointer<Int32>)
