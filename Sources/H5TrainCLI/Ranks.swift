import ArgumentParser
import DataParallel
import Foundation
import Settings

/// Starts the run's communicator: `.single` unless mpirun started this process. A rank that cannot
/// start MPI prints one line naming itself and exits with status 1.
func startRanks() throws -> Communicator {
    do {
        return try Communicator.start()
    } catch {
        FileHandle.standardError.write(Data("h5train: error: \(error.rendered(\.flag))\n".utf8))
        throw ExitCode(1)
    }
}

/// `reportingErrors` for a command that may run across processes. In one process it is exactly
/// `reportingErrors`. Across processes, a rank that fails prints one line naming its rank, host and
/// the cause, then aborts the whole job (MPI_Abort) so that no other rank waits for it forever; an
/// interrupted run (every rank saw the stop at the same step) is reported by rank 0 and every rank
/// leaves MPI and exits 130. A run that ends normally leaves MPI too.
func reportingErrors(ranks: Communicator, _ body: () throws -> Void) throws {
    guard ranks.isDistributed else {
        try reportingErrors(body)
        ranks.finalize()
        return
    }
    do {
        try body()
        ranks.finalize()
    } catch let error as TrainingError {
        if case .interrupted = error {
            if ranks.isReporting { FileHandle.standardError.write(Data("h5train: error: \(error.rendered(\.flag))\n".utf8)) }
            ranks.finalize()
            throw ExitCode(error.exitStatus)
        }
        let line = if case .rank = error { error.rendered(\.flag) } else { ranks.failure(SettingText(error.rendered(\.flag))).rendered(\.flag) }
        FileHandle.standardError.write(Data("h5train: error: \(line)\n".utf8))
        ranks.abort(code: error.exitStatus)
    } catch let error as UsageError {
        FileHandle.standardError.write(Data("h5train: error: \(ranks.failure(SettingText(error.message)).rendered(\.flag))\n".utf8))
        ranks.abort(code: 64)
    }
}
