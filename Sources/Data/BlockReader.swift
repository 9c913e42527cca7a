import DataParallel
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HDF5
import Settings

/// Which blocks each window the reader loads holds, and the order training visits its rows in.
/// Windows are numbered in the order they are loaded (0 = the first).
public protocol WindowSchedule: Sendable {
    /// The blocks of window `index`, ascending (their rows are placed in that order); nil past the last window.
    func blocks(ofWindow index: Int) -> [Int]?
    /// Sets `order` (holding 0..<rows on entry) to the order training visits the window's rows in.
    func shuffle(window index: Int, order: inout [Int32])
}

/// Reads windows of blocks of streamed training rows ahead of training, on one thread of its own
/// (HDF5 is not thread-safe: each read holds `HDF5Library.serialized`).
///
/// Two window slots, each `capacity` rows: the reader fills window i into slot i % 2 while training
/// uses the other, and waits until training releases window i − 2. A batch may straddle two
/// consecutive windows: both slots are one buffer, so a batch's rows are indices into it
/// (slot · capacity + position in the window).
///
/// With R ranks sharing the reading (`share`), each reads the features of only the window's blocks
/// at positions p with `RowHolders.reader(ofBlockAt: p)` its rank: the slots keep their full size,
/// the other blocks' rows stay unwritten (the ranks exchange each batch's rows), and every block's
/// targets (in memory) are copied all the same.
///
/// Buffers (allocated once):
///
///     features   (2 · capacity × featureCount, stored type)   the two slots' rows
///     targets    (2 · capacity × targetWidth, Float32)
///     orders     (2 · capacity, Int32)                          each window's visiting order
public final class BlockReader: @unchecked Sendable {
    private let state: ReaderState
    public let capacity: Int
    /// The reader thread's name (at most 15 bytes, Linux's limit), by which tools/count-allocations
    /// counts its allocations apart.
    public static let threadName = "h5train reader"

    /// Prepares the slots for windows of `features.shape` and starts the reader thread.
    public init(_ features: StreamedFeatures, schedule: some WindowSchedule, share: RankShares = .single) {
        capacity = features.shape.blockRows * features.shape.blocksPerWindow
        state = ReaderState(features, capacity: capacity, share: share)
        let state = self.state
        let thread = Thread {
            Self.nameCurrentThread()
            state.run(schedule)
        }
        thread.name = Self.threadName
        thread.start()
    }

    deinit { state.stop() }

    /// Names the calling thread as the system shows it (`Thread.name` alone does not, on Linux).
    /// glibc declares `pthread_setname_np` only under _GNU_SOURCE, which Swift's Glibc module lacks.
    private static func nameCurrentThread() {
        #if os(Linux)
        typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
        guard let symbol = dlsym(nil, "pthread_setname_np") else { return }
        _ = threadName.withCString { unsafeBitCast(symbol, to: SetName.self)(pthread_self(), $0) }
        #endif
    }

    /// Waits until window `index` is loaded and returns its slot, its row count and its order;
    /// throws the reader's failure (naming the file, dataset and rows) instead of waiting for it.
    public func window(_ index: Int) throws(TrainingError) -> (slot: Int, rows: Int, order: UnsafePointer<Int32>) {
        try state.waitFor(index)
    }

    /// Training no longer needs windows before `index`: their slots may be refilled.
    public func release(before index: Int) {
        state.release(before: index)
    }

    /// Stops the reader thread and waits for it to close the file.
    public func stop() {
        state.stop()
    }

    /// Blocks this rank read so far, the seconds the reader spent reading them, and the seconds training
    /// waited for windows: whether one reader keeps up.
    public var statistics: (blocks: Int, readSeconds: Double, waitSeconds: Double) {
        state.statistics
    }

    /// Calls `body` with the two slots' features (converted and normalised as gathered) and targets.
    public func withSlots<Result>(_ body: (FeatureRows, UnsafePointer<Float>) -> Result) -> Result {
        state.withSlots(body)
    }
}

/// What the reader thread and training share; every field after `condition` is guarded by it.
final class ReaderState: @unchecked Sendable {
    let features: StreamedFeatures
    let capacity: Int
    /// This rank among those sharing each window's blocks.
    private let share: RankShares
    private let rowBytes: Int
    private let values: UnsafeMutableRawPointer
    private let targets: UnsafeMutablePointer<Float>
    private let mean: UnsafeMutablePointer<Float>
    private let std: UnsafeMutablePointer<Float>
    /// Each slot's visiting order (2 × capacity), and the reader's own array it is shuffled in.
    private let orders: UnsafeMutablePointer<Int32>
    private var shuffled: [Int32] = []
    private var rowCounts = [0, 0]
    private let condition = NSCondition()
    private var published = 0
    private var released = 0
    private var stopping = false
    private var finished = false
    private var failure: TrainingError?
    private var blocksRead = 0
    private var readNanoseconds: UInt64 = 0
    private var waitNanoseconds: UInt64 = 0

    init(_ features: StreamedFeatures, capacity: Int, share: RankShares) {
        (self.features, self.capacity, self.share) = (features, capacity, share)
        rowBytes = features.featureCount * features.type.bytes
        values = UnsafeMutableRawPointer.allocate(byteCount: max(1, 2 * capacity * rowBytes), alignment: 16)
        targets = UnsafeMutablePointer<Float>.allocate(capacity: max(1, 2 * capacity * features.targetWidth))
        mean = UnsafeMutablePointer<Float>.allocate(capacity: features.featureCount)
        std = UnsafeMutablePointer<Float>.allocate(capacity: features.featureCount)
        if case .standardize(let m, let s) = features.normalization {
            mean.initialize(from: m, count: m.count)
            std.initialize(from: s, count: s.count)
        }
        orders = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, 2 * capacity))
        shuffled.reserveCapacity(capacity)
    }

    deinit {
        values.deallocate()
        targets.deallocate()
        mean.deallocate()
        std.deallocate()
        orders.deallocate()
    }

    func withSlots<Result>(_ body: (FeatureRows, UnsafePointer<Float>) -> Result) -> Result {
        let scaling: FeatureRows.Scaling = switch features.normalization {
        case .none: .none
        case .scale(let factor): .scale(factor)
        case .standardize: .standardize(mean: mean, std: std)
        }
        let rows: FeatureRows.Values = switch features.type {
        case .uint8: .uint8(UnsafePointer(values.assumingMemoryBound(to: UInt8.self)))
        case .float32: .float32(UnsafePointer(values.assumingMemoryBound(to: Float.self)))
        case .float64: .float64(UnsafePointer(values.assumingMemoryBound(to: Double.self)))
        }
        return body(FeatureRows(values: rows, scaling: scaling, featureCount: features.featureCount), targets)
    }

    func waitFor(_ index: Int) throws(TrainingError) -> (slot: Int, rows: Int, order: UnsafePointer<Int32>) {
        condition.lock()
        defer { condition.unlock() }
        precondition(index >= released, "window \(index) was released")
        let start = DispatchTime.now().uptimeNanoseconds
        defer { waitNanoseconds += DispatchTime.now().uptimeNanoseconds - start }
        while published <= index {
            if let failure { throw failure }
            precondition(!finished, "the reader ended before window \(index)")
            // Timed, so that a reader thread that ended without signalling could never hang training.
            _ = condition.wait(until: Date(timeIntervalSinceNow: 1))
        }
        let slot = index % 2
        return (slot, rowCounts[slot], UnsafePointer(orders + slot * capacity))
    }

    var statistics: (blocks: Int, readSeconds: Double, waitSeconds: Double) {
        condition.lock()
        defer { condition.unlock() }
        return (blocksRead, Double(readNanoseconds) / 1e9, Double(waitNanoseconds) / 1e9)
    }

    func release(before index: Int) {
        condition.lock()
        if index > released {
            released = index
            condition.broadcast()
        }
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// The reader thread: loads windows in order until the schedule ends, a read fails, or `stop`.
    func run(_ schedule: some WindowSchedule) {
        defer {
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        let source = features.source
        // Released by setting it to nil under the lock: no other reference to the file may outlive that.
        var opened: (File, Dataset)?
        do {
            opened = try HDF5Library.serialized { () throws(HDF5Error) in
                let file = try File.open(source.file)
                return (file, try file.dataset(source.x))
            }
        } catch {
            let rows = schedule.blocks(ofWindow: 0)?.first.map { features.rows(ofBlock: $0) } ?? 0..<features.rows
            let why = features.identity.change(at: source.file) ?? error.description
            return fail(.invalidData(file: source.file, dataset: source.x,
                                     message: "rows \(rows.lowerBound)..<\(rows.upperBound) could not be read: \(why)"))
        }
        defer { HDF5Library.serialized { opened = nil } }
        var index = 0
        while let blocks = schedule.blocks(ofWindow: index) {
            guard waitForFreeSlot(index) else { return }
            let slot = index % 2
            var rows = 0
            for (position, block) in blocks.enumerated() {
                if isStopping { return }
                let range = features.rows(ofBlock: block)
                let reads = RowHolders.reader(ofBlockAt: position, ranks: share.ranks) == share.rank
                let start = DispatchTime.now().uptimeNanoseconds
                if let error = read(range, from: opened!.1, into: slot * capacity + rows, values: reads) { return fail(error) }
                let elapsed = DispatchTime.now().uptimeNanoseconds - start
                condition.lock()
                if reads { (blocksRead, readNanoseconds) = (blocksRead + 1, readNanoseconds + elapsed) }
                condition.unlock()
                rows += range.count
            }
            shuffled.removeAll(keepingCapacity: true)
            shuffled.append(contentsOf: 0..<Int32(rows))
            schedule.shuffle(window: index, order: &shuffled)
            shuffled.withUnsafeBufferPointer { (orders + slot * capacity).update(from: $0.baseAddress!, count: rows) }
            condition.lock()
            rowCounts[slot] = rows
            published = index + 1
            condition.broadcast()
            condition.unlock()
            index += 1
        }
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Waits until window `index`'s slot is free; false when stopping.
    private func waitForFreeSlot(_ index: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while index - released >= 2 && !stopping { condition.wait() }
        return !stopping
    }

    private func fail(_ error: TrainingError) {
        condition.lock()
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// Reads rows `range` of X into slot row `first` (unless `values` is false: another rank reads
    /// them) and copies their targets; checks afterwards that the file is still the one opened, whole.
    private func read(_ range: Range<Int>, from dataset: Dataset, into first: Int, values readsValues: Bool) -> TrainingError? {
        if readsValues, let error = readValues(range, from: dataset, into: first) { return error }
        let width = features.targetWidth
        features.targets.withUnsafeBufferPointer { y in
            (targets + first * width).update(from: y.baseAddress! + range.lowerBound * width, count: range.count * width)
        }
        return nil
    }

    private func readValues(_ range: Range<Int>, from dataset: Dataset, into first: Int) -> TrainingError? {
        let count = range.count * features.featureCount
        let destination = values + first * rowBytes
        do {
            try HDF5Library.serialized { () throws(HDF5Error) in
                switch features.type {
                case .uint8:
                    try dataset.read(rows: range, into: UnsafeMutableBufferPointer(start: destination.assumingMemoryBound(to: UInt8.self), count: count))
                case .float32:
                    try dataset.read(rows: range, into: UnsafeMutableBufferPointer(start: destination.assumingMemoryBound(to: Float.self), count: count))
                case .float64:
                    try dataset.read(rows: range, into: UnsafeMutableBufferPointer(start: destination.assumingMemoryBound(to: Double.self), count: count))
                }
            }
        } catch {
            // A file truncated or replaced under the reader is named as such; else HDF5's cause
            // (a chunk that fails to decompress, say), which names the file, dataset and rows.
            guard let change = features.identity.change(at: features.source.file) else { return .hdf5(error.description) }
            return .invalidData(file: features.source.file, dataset: features.source.x,
                                message: "rows \(range.lowerBound)..<\(range.upperBound) could not be read: \(change)")
        }
        if let change = features.identity.change(at: features.source.file) {
            return .invalidData(file: features.source.file, dataset: features.source.x,
                                message: "rows \(range.lowerBound)..<\(range.upperBound) could not be read: \(change)")
        }
        return nil
    }
}
