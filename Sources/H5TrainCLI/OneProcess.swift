import DataParallel
import Foundation

/// Whether this process runs a command that works in one process (evaluate, predict, inspect, …).
///
/// Without mpirun, always. Under mpirun, rank 0 runs it exactly as one process would — MPI is neither
/// loaded nor initialised by any rank, so no rank can wait in a collective another never reaches —
/// and says so once on standard error (with `workers`, that --workers threads, not ranks, spread its
/// work); the other ranks return false and exit 0 at once, so the output is printed, and any file
/// written, once.
func runsInThisProcess(_ command: String, workers: Bool = false) -> Bool {
    guard let launch = Communicator.launch, launch.size > 1 else { return true }
    guard launch.rank == 0 else { return false }
    let others = launch.size - 1
    let rest = others == 1 ? "the other rank exits at once" : "the other \(others) ranks exit at once"
    let threads = workers ? " on --workers threads (all its host's cores by default)" : ""
    FileHandle.standardError.write(Data("h5train: note: \(command) runs in one process: rank 0 runs it\(threads); \(rest)\n".utf8))
    return true
}
