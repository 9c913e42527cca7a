import CMPI
import Settings

/// The element types the collectives carry.
public enum CommunicatedType: Int32, Sendable {
    case float = 0, double = 1, byte = 2

    /// Bytes per element.
    public var size: Int { self == .float ? 4 : self == .double ? 8 : 1 }
}

extension Communicator {
    /// MPI_Allgatherv in place: rank r's `counts[r]` elements are at `buffer + displacements[r]`
    /// (in elements) on rank r, and on every rank afterwards. Nothing for `.single`. A rank that
    /// waits for the others polls for 0.1 ms, then sleeps between polls (`h5mpi_allgatherv_in_place_polite`).
    public func allgatherInPlace(_ buffer: UnsafeMutableRawPointer, counts: UnsafePointer<Int32>,
                                 displacements: UnsafePointer<Int32>, type: CommunicatedType) throws(TrainingError) {
        guard let library else { return }
        try check(h5mpi_allgatherv_in_place_polite(library, buffer, counts, displacements, type.rawValue), "MPI_Iallgatherv")
    }

    /// Every all-gather of `gathers` at once: all start, then this rank waits for all together, so
    /// they cost the ranks one synchronisation. Nothing for `.single`.
    public func allgatherInPlace(_ gathers: GatherSet) throws(TrainingError) {
        guard let library, gathers.count > 0 else { return }
        try check(gathers.withArrays { buffers, counts, displacements, types, requests, done in
            h5mpi_allgathervs_in_place_polite(library, Int32(gathers.count), buffers, counts, displacements, types, requests, done)
        }, "MPI_Iallgatherv")
    }

    /// Starts every all-gather of `gathers` and returns at once: they progress whenever this rank
    /// calls MPI (`progress(_:)`, any wait) until `wait(_:)` ends them. Nothing for `.single`.
    public func startAllgathers(_ gathers: GatherSet) throws(TrainingError) {
        guard let library, gathers.count > 0 else { return }
        try check(gathers.withArrays { buffers, counts, displacements, types, requests, done in
            h5mpi_start_allgathervs_in_place(library, Int32(gathers.count), buffers, counts, displacements, types, requests, done)
        }, "MPI_Iallgatherv")
    }

    /// Lets started all-gathers (and every other transfer of this process) progress, without waiting.
    public func progress(_ gathers: GatherSet) throws(TrainingError) {
        guard let library, gathers.count > 0 else { return }
        var all: Int32 = 0
        try check(gathers.withArrays { _, _, _, _, requests, done in
            h5mpi_test_each(library, Int32(gathers.count), requests, done, &all)
        }, "MPI_Test")
    }

    /// Waits politely until every started all-gather of `gathers` is complete.
    public func wait(_ gathers: GatherSet) throws(TrainingError) {
        guard let library, gathers.count > 0 else { return }
        try check(gathers.withArrays { _, _, _, _, requests, done in
            h5mpi_wait_polite(library, Int32(gathers.count), requests, done)
        }, "MPI_Test")
    }

    /// MPI_Allreduce in place over `count` doubles: their sum, or their maximum, over every rank.
    /// (A sum is exact only where one rank contributes; never use it to share values.)
    public func allreduceInPlace(_ values: UnsafeMutablePointer<Double>, count: Int, maximum: Bool) throws(TrainingError) {
        guard let library else { return }
        try check(h5mpi_allreduce_in_place(library, values, Int32(count), CommunicatedType.double.rawValue, maximum ? 1 : 0),
                  "MPI_Allreduce")
    }

    /// Every rank's `bytes` (at most `limit` each), by rank: one MPI_Allgather of fixed-size records.
    /// Allocates; for start-up checks, not for steps.
    public func allgather(_ bytes: [UInt8], limit: Int = 256) throws(TrainingError) -> [[UInt8]] {
        precondition(bytes.count <= limit, "allgather record of \(bytes.count) bytes exceeds \(limit)")
        guard let library else { return [bytes] }
        var record = [UInt8](repeating: 0, count: limit + 2)
        record[0] = UInt8(bytes.count & 0xFF)
        record[1] = UInt8(bytes.count >> 8)
        record.replaceSubrange(2..<(2 + bytes.count), with: bytes)
        var all = [UInt8](repeating: 0, count: (limit + 2) * size)
        try check(h5mpi_allgather_bytes(library, record, &all, Int32(limit + 2)), "MPI_Allgather")
        return (0..<size).map { r in
            let base = r * (limit + 2)
            let count = Int(all[base]) | Int(all[base + 1]) << 8
            return Array(all[(base + 2)..<(base + 2 + count)])
        }
    }

    /// MPI_Bcast of `count` bytes from rank `root` to every rank.
    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes count: Int, root: Int = 0) throws(TrainingError) {
        guard let library else { return }
        try check(h5mpi_broadcast_bytes(library, buffer, Int32(count), Int32(root)), "MPI_Bcast")
    }

    /// MPI_Barrier: returns when every rank has called it.
    public func barrier() throws(TrainingError) {
        guard let library else { return }
        try check(h5mpi_barrier(library), "MPI_Barrier")
    }
}

/// One in-place all-gather's operands: rank r's `counts[r]` elements at `buffer + displacements[r]`
/// (in elements of `type`).
public struct InPlaceGather: @unchecked Sendable {
    public let buffer: UnsafeMutableRawPointer
    public let counts: UnsafePointer<Int32>
    public let displacements: UnsafePointer<Int32>
    public let type: CommunicatedType

    public init(buffer: UnsafeMutableRawPointer, counts: UnsafePointer<Int32>, displacements: UnsafePointer<Int32>,
                type: CommunicatedType) {
        (self.buffer, self.counts, self.displacements, self.type) = (buffer, counts, displacements, type)
    }

    /// Bytes rank `rank` of `ranks` receives: every other rank's part.
    public func receivedBytes(rank: Int, ranks: Int) -> Int {
        var total = 0
        for r in 0..<ranks where r != rank { total += Int(counts[r]) * type.size }
        return total
    }
}

/// In-place all-gathers to make together (`Communicator.allgatherInPlace(_:)`), with the arrays MPI
/// is handed allocated once, so a step that makes them allocates nothing.
public final class GatherSet: @unchecked Sendable {
    public let capacity: Int
    public private(set) var count = 0
    private let buffers: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let counts: UnsafeMutablePointer<UnsafePointer<Int32>?>
    private let displacements: UnsafeMutablePointer<UnsafePointer<Int32>?>
    private let types: UnsafeMutablePointer<Int32>
    private let requests: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let done: UnsafeMutablePointer<Int32>

    public init(capacity: Int) {
        precondition(capacity >= 1, "a gather set holds at least one gather")
        self.capacity = capacity
        buffers = .allocate(capacity: capacity)
        buffers.initialize(repeating: nil, count: capacity)
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: nil, count: capacity)
        displacements = .allocate(capacity: capacity)
        displacements.initialize(repeating: nil, count: capacity)
        types = .allocate(capacity: capacity)
        types.initialize(repeating: 0, count: capacity)
        requests = .allocate(capacity: capacity)
        requests.initialize(repeating: nil, count: capacity)
        done = .allocate(capacity: capacity)
        done.initialize(repeating: 0, count: capacity)
    }

    deinit {
        buffers.deallocate()
        counts.deallocate()
        displacements.deallocate()
        types.deallocate()
        requests.deallocate()
        done.deallocate()
    }

    /// Empties the set (its arrays stay).
    public func removeAll() { count = 0 }

    /// Adds `gather`; at most `capacity`.
    public func append(_ gather: InPlaceGather) {
        precondition(count < capacity, "more than \(capacity) gathers in one set")
        (buffers[count], counts[count], displacements[count]) = (gather.buffer, gather.counts, gather.displacements)
        types[count] = gather.type.rawValue
        count += 1
    }

    fileprivate func withArrays<Result>(_ body: (UnsafePointer<UnsafeMutableRawPointer?>, UnsafePointer<UnsafePointer<Int32>?>,
                                                  UnsafePointer<UnsafePointer<Int32>?>, UnsafePointer<Int32>,
                                                  UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int32>) -> Result) -> Result {
        body(buffers, counts, displacements, types, requests, done)
    }
}
