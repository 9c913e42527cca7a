import CMPI
import Foundation
import Settings

/// The processes of a data-parallel run that mpirun started, and the collective operations its steps
/// use (Open MPI, opened at run time through the CMPI shim).
///
/// `.single` is the ordinary run: one process, no MPI loaded or initialised, and every collective
/// returns at once without touching its buffers. Every MPI call goes through one throwing `check`,
/// which turns an MPI error code into a `TrainingError.rank` naming this rank and its host.
/// Collectives are made by the thread that started the communicator (MPI_THREAD_FUNNELED): the
/// step's calling thread, never a pool worker.
public final class Communicator: @unchecked Sendable {
    /// This process's rank, 0..<size.
    public let rank: Int
    /// How many processes the run has.
    public let size: Int
    /// Each rank's host name, by rank.
    public let hostNames: [String]
    /// The loaded library; nil for `.single`.
    let library: UnsafeMutablePointer<h5mpi_library>?
    private var finalized = false

    /// One process, no MPI.
    public static let single = Communicator(rank: 0, size: 1, hostNames: [ProcessInfo.processInfo.hostName], library: nil)

    private init(rank: Int, size: Int, hostNames: [String], library: UnsafeMutablePointer<h5mpi_library>?) {
        (self.rank, self.size, self.hostNames, self.library) = (rank, size, hostNames, library)
    }

    /// This rank's host name.
    public var hostName: String { hostNames[rank] }

    /// Whether more than one process takes part.
    public var isDistributed: Bool { size > 1 }

    /// Whether this process writes the run's files and prints its progress (rank 0).
    public var isReporting: Bool { rank == 0 }

    /// Whether mpirun (Open MPI) started this process: it sets OMPI_COMM_WORLD_SIZE.
    public static var launchedByMPI: Bool { getenv("OMPI_COMM_WORLD_SIZE") != nil }

    /// The default worker count of a process: the cores it may use, shared among the ranks mpirun
    /// started on this host (OMPI_COMM_WORLD_LOCAL_SIZE), at least 1. Workers never change results.
    public static var defaultWorkers: Int {
        max(1, WorkerPool.activeCores / localRanks)
    }

    /// `.single` unless mpirun started this process; then opens libmpi, initialises MPI and learns
    /// every rank's host name (one collective). Fails, naming the rank, when libmpi cannot be loaded.
    public static func start() throws(TrainingError) -> Communicator {
        guard launchedByMPI else { return .single }
        let environmentRank = getenv("OMPI_COMM_WORLD_RANK").flatMap { Int(String(cString: $0)) } ?? 0
        let host = ProcessInfo.processInfo.hostName
        let library = UnsafeMutablePointer<h5mpi_library>.allocate(capacity: 1)
        library.initialize(to: h5mpi_library())
        var missing: UnsafePointer<CChar>?
        let loaded = h5mpi_load(library, &missing)
        guard loaded == 0 else {
            let detail = missing.map { String(cString: $0) } ?? "unknown reason"
            library.deallocate()
            throw .rank(environmentRank, host: host, message: SettingText(
                loaded == 1 ? "started by mpirun, but Open MPI's libmpi cannot be opened (\(detail)); install openmpi-bin"
                            : "Open MPI's libmpi lacks \(detail); H5Train needs Open MPI 3 or later"))
        }
        let initialised = h5mpi_init(library)
        guard initialised == 0 else {
            throw .rank(environmentRank, host: host, message: "MPI_Init_thread failed with MPI error \(initialised)")
        }
        var rank: Int32 = 0, size: Int32 = 0
        let probe = Communicator(rank: environmentRank, size: 1, hostNames: [host], library: library)
        try probe.check(h5mpi_rank(library, &rank), "MPI_Comm_rank")
        try probe.check(h5mpi_size(library, &size), "MPI_Comm_size")
        let named = Communicator(rank: Int(rank), size: Int(size), hostNames: Array(repeating: host, count: Int(size)),
                                 library: library)
        let names = try named.allgather(Array(host.utf8.prefix(Int(H5MPI_MAX_NAME))))
        return Communicator(rank: Int(rank), size: Int(size), hostNames: names.map { String(decoding: $0, as: UTF8.self) },
                            library: library)
    }

    /// Throws `TrainingError.rank` naming this rank, its host, `call` and MPI's text for `code`,
    /// unless `code` is MPI_SUCCESS.
    @inline(__always)
    public func check(_ code: Int32, _ call: StaticString) throws(TrainingError) {
        guard code != 0 else { return }
        throw failure("\(call) failed: \(errorText(code)) (MPI error \(code))")
    }

    /// A `TrainingError.rank` for this rank with `message`.
    public func failure(_ message: SettingText) -> TrainingError {
        .rank(rank, host: hostName, message: message)
    }

    private func errorText(_ code: Int32) -> String {
        guard let library else { return "MPI error" }
        var text = [CChar](repeating: 0, count: Int(H5MPI_MAX_ERROR) + 1)
        var length: Int32 = 0
        guard h5mpi_error_string(library, code, &text, &length) == 0 else { return "unknown MPI error" }
        return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Ends MPI in this process (a no-op for `.single` and after the first call); call once the
    /// run's last collective is done.
    public func finalize() {
        guard let library, !finalized else { return }
        finalized = true
        _ = h5mpi_finalize(library)
    }

    /// Ends the whole job: MPI_Abort makes mpirun stop every rank, so none waits forever for this one.
    /// For `.single`, exits with `code`.
    public func abort(code: Int32) -> Never {
        if let library { _ = h5mpi_abort(library, code) }
        exit(code)
    }

    /// Runs `body`; if it throws, prints the error's one line (naming the rank and host) on standard
    /// error and aborts the job. For collectives inside a step, which cannot throw to its caller.
    public func orAbort(_ body: () throws(TrainingError) -> Void) {
        do {
            try body()
        } catch {
            let line = if case .rank = error { "\(error)" } else { "\(failure(SettingText(error.description)))" }
            FileHandle.standardError.write(Data("h5train: error: \(line)\n".utf8))
            abort(code: error.exitStatus)
        }
    }
}
