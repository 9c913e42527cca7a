import Foundation
import HDF5
import XCTest

/// Runs across processes: the built `h5train` under Open MPI's `mpirun` (2 and 3 ranks on this
/// machine, `--oversubscribe`). Skipped, saying so, where mpirun is not installed.
///
/// The claim under test: trained weights and optimizer state are bit-for-bit those of one process,
/// for any ranks × workers; a resumed run continues exactly with any other split; a rank that fails
/// or dies ends the whole job within seconds, naming itself, and never damages the checkpoint.
final class MPIRunTests: XCTestCase {
    private static let splits = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1)]
    /// Batch 100 of 1437 rows (a short last batch of 37), shards of 16: uneven shards, and with 3
    /// ranks 7 shards split 2, 2, 3; the last batch's 3 shards split 1, 1, 1.
    private static let common = ["--hidden", "24,16", "--batch-size", "100", "--shard-size", "16", "--seed", "7"]

    /// With validation on 20 % of the rows (288: two chunks of evaluation, which 3 ranks split 0, 1
    /// and 1): every rank evaluates its chunks, and the metrics are one process's to the last digit.
    func testAdamCheckpointsAreBitIdenticalForAnyRanksAndWorkers() throws {
        try assertSplitInvariance(["--optimizer", "adam", "--lr", "0.003", "--val-split", "0.2"])
    }

    /// SGD with Nesterov momentum. Dropout masks depend only on (seed, step, row); clipping by norm
    /// takes the non-fused path (gradients, the block squares from every rank summed in block order,
    /// then the updates). Adam above takes the fused one.
    func testSGDWithDropoutAndClippingIsBitIdenticalForAnyRanksAndWorkers() throws {
        try assertSplitInvariance(["--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--dropout", "0.3", "--clip-norm", "0.5"])
    }

    /// Standardised (the statistics summed over the whole X in row order, in one pass over the file,
    /// as each rank holds only its part) with validation datasets: rows spread over 2 and 3 ranks
    /// (718 + 719 and 479 × 3), each batch's rows exchanged, and the bits are one process's.
    func testStandardisedDataSpreadOverTheRanksIsBitIdenticalForAnyRanksAndWorkers() throws {
        try assertSplitInvariance(["--optimizer", "adam", "--lr", "0.003", "--normalize", "standardize",
                                   "--val-x", "x_test", "--val-y", "y_test"])
    }

    /// Standardised with 20 % of the rows held out: every rank computes the same held-out rows from
    /// the seed and reads only its part of the other 1149 (and of the 288 it evaluates); the
    /// statistics over the training rows are summed leaf by leaf on the ranks; the bits are one process's.
    func testStandardisedWithRowsHeldOutSpreadOverTheRanksIsBitIdentical() throws {
        try assertSplitInvariance(["--optimizer", "adam", "--lr", "0.003", "--normalize", "standardize", "--val-split", "0.2"])
    }

    /// Streamed and standardised with validation datasets: each rank sums the statistics of its own
    /// rows and reads only the validation rows of each block that it evaluates; the bits are one process's.
    func testStreamedStandardisedWithValidationIsBitIdenticalForAnyRanksAndWorkers() throws {
        try assertSplitInvariance(["--optimizer", "adam", "--lr", "0.003", "--memory-budget", "64K", "--normalize", "standardize",
                                   "--val-x", "x_test", "--val-y", "y_test"])
    }

    /// Streamed through a budget of a few windows of 16 rows (so batches straddle windows): every
    /// rank streams its own windows in the same two-level order, and the bits are one process's.
    func testStreamedDataIsBitIdenticalForAnyRanksAndWorkers() throws {
        try assertSplitInvariance(["--optimizer", "adam", "--lr", "0.003", "--memory-budget", "64K"])
    }

    func testResumeFromTwoRanksWithOneProcessOfTwoWorkersContinuesExactly() throws {
        try assertTwoRanksResumedByOneProcessMatchOneProcess(["--optimizer", "adam", "--quiet"])
    }

    /// Trains 1 epoch on 2 ranks × 1 worker, resumes to 2 epochs in one process × 2 workers, and
    /// compares the model and optimizer state with one process's uninterrupted 2 epochs.
    private func assertTwoRanksResumedByOneProcessMatchOneProcess(_ flags: [String],
                                                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        let options = Self.common + flags
        let whole = folder.file("whole.h5"), resumed = folder.file("resumed.h5")
        XCTAssertSuccess(try CLI.run(train(whole, workers: 1) + options + ["--epochs", "2"]), file: file, line: line)
        XCTAssertSuccess(try CLI.run(train(resumed, workers: 1) + options + ["--epochs", "1"], launcher: MPI.launcher(mpirun, ranks: 2)),
                         file: file, line: line)
        XCTAssertSuccess(try CLI.run(["train", "--resume", resumed, "--epochs", "2", "--workers", "2", "--quiet"]), file: file, line: line)
        XCTAssertEqual(try trainedBits(resumed), try trainedBits(whole), file: file, line: line)
    }

    /// With rows held out, the ranks spread the other rows and take the whole set's fingerprint:
    /// one process resumes a run of 2 ranks (same held-out rows, same statistics) and ends as one
    /// process's uninterrupted run.
    func testRunWithRowsHeldOutResumedByOneProcessContinuesExactly() throws {
        try assertTwoRanksResumedByOneProcessMatchOneProcess(["--optimizer", "adam", "--val-split", "0.2", "--normalize", "standardize", "--quiet"])
    }

    /// Streamed, the ranks share each window's blocks by position: a run of 3 ranks resumed by 2
    /// (each reading another share) and then by one process ends as one process's run.
    func testStreamedRunResumedByOtherRankCountsContinuesExactly() throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        let options = Self.common + ["--optimizer", "adam", "--memory-budget", "64K", "--quiet"]
        let whole = folder.file("whole.h5"), resumed = folder.file("resumed.h5")
        XCTAssertSuccess(try CLI.run(train(whole, workers: 1) + options + ["--epochs", "3"]))
        XCTAssertSuccess(try CLI.run(train(resumed, workers: 1) + options + ["--epochs", "1"], launcher: MPI.launcher(mpirun, ranks: 3)))
        XCTAssertSuccess(try CLI.run(["train", "--resume", resumed, "--epochs", "2", "--workers", "1", "--quiet"],
                                     launcher: MPI.launcher(mpirun, ranks: 2)))
        XCTAssertSuccess(try CLI.run(["train", "--resume", resumed, "--epochs", "3", "--workers", "2", "--quiet"]))
        XCTAssertEqual(try trainedBits(resumed), try trainedBits(whole))
    }

    /// Rank 1 is given a file that does not exist (mpirun's `:` syntax gives each rank its own
    /// command line); rank 0, already waiting for it, must not hang.
    func testARankThatCannotOpenItsFileEndsTheJobNamingTheRank() throws {
        let mpirun = try MPI.mpirun()
        let missing = "/nonexistent/h5train-missing.h5"
        let script = "exec env \(MPI.environment) \(mpirun) --oversubscribe -np 1 \"$0\" \"$@\" --data \(CLI.dataset("digits.h5"))"
            + " : -np 1 \"$0\" \"$@\" --data \(missing)"
        let result = try CLI.run(["train", "--epochs", "2", "--quiet"], timeout: 60, launcher: ["/bin/sh", "-c", script])
        XCTAssertNotEqual(result.status, 0, "\(result)")
        XCTAssertLessThan(result.seconds, 20, "\(result)")
        XCTAssertTrue(result.stderr.contains("h5train: error: rank 1 ("), "\(result)")
        XCTAssertTrue(result.stderr.contains(missing), "\(result)")
    }

    /// Streamed, each rank checks only its part of the rows at start-up (rows 200 ..< 400 are rank
    /// 1's of 2): a NaN there stops the job within seconds, naming rank 1 and the row.
    func testANonFiniteValueInOneRanksPartIsReportedByThatRank() throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        let path = folder.file("nan.h5")
        let rows = 400
        var x = (0..<(rows * 4)).map { Float($0 % 7) / 7 }
        x[300 * 4 + 1] = .nan
        let file = try File.create(path)
        try file.root.createDataset("x", shape: [rows, 4], values: x)
        try file.root.createDataset("y", shape: [rows], values: (0..<rows).map { Int64($0 % 2) })
        try file.flush()
        let result = try CLI.run(["train", "--data", path, "--x", "x", "--y", "y", "--memory-budget", "4K", "--epochs", "1", "--quiet"],
                                 timeout: 60, launcher: MPI.launcher(mpirun, ranks: 2))
        XCTAssertNotEqual(result.status, 0, "\(result)")
        XCTAssertLessThan(result.seconds, 20, "\(result)")
        XCTAssertTrue(result.stderr.contains("h5train: error: rank 1 (") && result.stderr.contains("row 300 holds nan"), "\(result)")
    }

    func testRanksThatDisagreeOnTheSettingsAreRefusedNamingTheRank() throws {
        let mpirun = try MPI.mpirun()
        let data = CLI.dataset("digits.h5")
        let result = try CLI.run(["train", "--data", data, "--epochs", "2", "--quiet"], timeout: 60,
                                 launcher: ["/bin/sh", "-c",
                                            "exec env \(MPI.environment) \(mpirun) --oversubscribe -np 1 \"$0\" \"$@\" : -np 1 \"$0\" train --data \(data) --epochs 3 --quiet"])
        XCTAssertNotEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stderr.contains("rank 1 (") && result.stderr.contains("differ from rank 0's"), "\(result)")
    }

    /// Open MPI's default error manager ends the job when a rank dies; the checkpoint, written
    /// atomically by rank 0, stays whole and verifies.
    func testKillingOneRankEndsTheJobWithinSecondsAndLeavesTheCheckpointIntact() throws {
        let mpirun = try MPI.mpirun()
        guard let executable = CLI.executable else { return XCTFail("h5train not built") }
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("killed.h5")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = MPI.environment.split(separator: " ").map(String.init)
            + [mpirun, "--oversubscribe", "-np", "2", executable.path, "train", "--data", CLI.dataset("digits.h5"),
               "--epochs", "100000", "--checkpoint", checkpoint, "--checkpoint-every-steps", "3", "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline { usleep(100_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint), "no checkpoint within 60 s")
        let ranks = MPI.children(of: process.processIdentifier)
        XCTAssertEqual(ranks.count, 2, "rank processes: \(ranks)")
        guard let victim = ranks.last else { return }
        let killed = Date()
        kill(victim, SIGKILL)
        while process.isRunning && Date().timeIntervalSince(killed) < 30 { usleep(20_000) }
        let seconds = Date().timeIntervalSince(killed)
        XCTAssertFalse(process.isRunning, "the job still runs 30 s after a rank was killed")
        XCTAssertLessThan(seconds, 10)
        XCTAssertNotEqual(process.terminationStatus, 0)
        print("MPIRunTests: the job ended \(String(format: "%.2f", seconds)) s after one rank was killed")
        let inspect = try CLI.run(["inspect", checkpoint])
        XCTAssertSuccess(inspect)
        XCTAssertTrue(inspect.stdout.contains("OK"), "\(inspect)")
    }

    /// SIGTERM to one rank only: its vote travels with the next step's rows, every rank stops after
    /// that step, rank 0 saves, all exit 130; one process with two workers then finishes the run
    /// with exactly the bits of an uninterrupted one.
    func testAStopOnOneRankStopsEveryRankAtTheSameStepAndResumesExactly() throws {
        let mpirun = try MPI.mpirun()
        guard let executable = CLI.executable else { return XCTFail("h5train not built") }
        let folder = try TemporaryDirectory()
        let whole = folder.file("whole.h5"), stopped = folder.file("stopped.h5")
        let options = Self.common + ["--epochs", "30", "--quiet"]
        XCTAssertSuccess(try CLI.run(train(whole, workers: 1) + options))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = MPI.environment.split(separator: " ").map(String.init)
            + [mpirun, "--oversubscribe", "-np", "2", executable.path] + train(stopped, workers: 1) + options
            + ["--checkpoint-every-steps", "7"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: stopped) && Date() < deadline { usleep(20_000) }
        let ranks = MPI.children(of: process.processIdentifier)
        XCTAssertEqual(ranks.count, 2, "rank processes: \(ranks)")
        if let last = ranks.last { kill(last, SIGTERM) }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, "every rank stops, saves and exits 130")
        let inspect = try CLI.run(["inspect", stopped])
        XCTAssertTrue(inspect.stdout.contains("mid-epoch") || inspect.stdout.contains("completed"), "\(inspect)")
        XCTAssertSuccess(try CLI.run(["train", "--resume", stopped, "--workers", "2", "--quiet"]))
        XCTAssertEqual(try trainedBits(stopped), try trainedBits(whole))
    }

    // MARK: - Helpers

    private func train(_ checkpoint: String, workers: Int) -> [String] {
        ["train", "--data", CLI.dataset("digits.h5"), "--workers", "\(workers)", "--checkpoint", checkpoint]
    }

    private func assertSplitInvariance(_ extra: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        var reference: [String: [UInt32]]?, referenceMetrics: [String]?
        for (ranks, workers) in Self.splits {
            let checkpoint = folder.file("r\(ranks)w\(workers).h5"), metricsPath = folder.file("r\(ranks)w\(workers).csv")
            let arguments = train(checkpoint, workers: workers) + Self.common + ["--epochs", "2", "--metrics", metricsPath] + extra
            let result = try CLI.run(arguments, timeout: 120, launcher: ranks == 1 ? [] : MPI.launcher(mpirun, ranks: ranks),
                                     file: file, line: line)
            XCTAssertSuccess(result, file: file, line: line)
            // Rank 0 alone reports, and says how the job is spread.
            let trainLines = result.stdoutLines.filter { $0.hasPrefix("train: ") }
            XCTAssertEqual(trainLines.count, 1, "\(result)", file: file, line: line)
            if ranks > 1 {
                XCTAssertTrue(trainLines.first?.contains("\(ranks) ranks × \(workers) worker") == true, "\(result)", file: file, line: line)
                // Data in memory is spread: rank 0 holds ⌊N/R⌋ of the N training rows (1149 when 288 are
                // held out), and says so; and only the validation rows it evaluates (2 chunks: 256 rows
                // with 2 ranks, none with 3).
                let spread = !extra.contains("--memory-budget")
                let training = extra.contains("--val-split") ? 1149 : 1437
                let holds = "data: rank 0 holds rows 0..<\(training / ranks) of \(training) ("
                XCTAssertEqual(result.stdoutLines.contains { $0.hasPrefix(holds) }, spread, "\(result)", file: file, line: line)
                let validating = spread && (extra.contains("--val-split") || extra.contains("--val-x"))
                let validationRows = ranks == 2 ? "data: rank 0 holds validation rows 0..<256 of " : "data: rank 0 holds none of the "
                XCTAssertEqual(result.stdoutLines.contains { $0.hasPrefix(validationRows) }, validating, "\(result)", file: file, line: line)
                // Streamed, each rank reads only its share of each window's blocks, and rank 0 counts its own.
                let streamed = extra.contains("--memory-budget")
                let shares = "data: the \(ranks) ranks share each window's blocks: "
                XCTAssertEqual(result.stdoutLines.contains { $0.hasPrefix(shares) }, streamed, "\(result)", file: file, line: line)
                XCTAssertEqual(result.stdoutLines.contains { $0.hasPrefix("data: rank 0 read ") && $0.contains("(its share of each window's)") },
                               streamed, "\(result)", file: file, line: line)
            }
            // Losses, validation metrics and learning rate, not the timings (the last two columns).
            let metrics = try String(contentsOfFile: metricsPath, encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).joined(separator: ",") }
            XCTAssertEqual(metrics.count, 3, "\(metrics)", file: file, line: line)
            XCTAssertEqual(metrics, referenceMetrics ?? metrics, "\(ranks) ranks × \(workers) workers", file: file, line: line)
            referenceMetrics = referenceMetrics ?? metrics
            let bits = try trainedBits(checkpoint)
            XCTAssertTrue(bits.keys.contains("/optimizer/state"), "datasets: \(bits.keys.sorted())", file: file, line: line)
            if let reference {
                XCTAssertEqual(Set(bits.keys), Set(reference.keys), file: file, line: line)
                for (name, values) in bits where values != reference[name] {
                    let index = zip(values, reference[name] ?? []).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    XCTFail("\(ranks) ranks × \(workers) workers: \(name) differs from one process (first at \(index.map(String.init) ?? "size"))",
                            file: file, line: line)
                }
            } else {
                XCTAssertFalse(bits.isEmpty, file: file, line: line)
                reference = bits
            }
        }
    }

    /// Bit patterns of every float32 dataset under /model and /optimizer of a checkpoint, by path.
    private func trainedBits(_ path: String) throws -> [String: [UInt32]] {
        let file = try File.open(path)
        var result: [String: [UInt32]] = [:]
        for name in try file.datasetPaths() where name.hasPrefix("/model/") || name.hasPrefix("/optimizer/") {
            result[name] = try file.dataset(name).read(Float.self).map(\.bitPattern)
        }
        return result
    }
}

/// Finding and launching Open MPI's mpirun for the tests.
enum MPI {
    /// Lets mpirun run as root (CI containers) in the child's environment only.
    static let environment = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"

    /// mpirun's path, or a skip that says why the test did not run.
    static func mpirun() throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init)
        if let found = folders.map({ $0 + "/mpirun" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        print("MPIRunTests: skipped: mpirun not found (install openmpi-bin, or run tools/install-deps)")
        throw XCTSkip("mpirun not found (install openmpi-bin)")
    }

    /// `env OMPI_ALLOW_RUN_AS_ROOT=1 … mpirun --oversubscribe -np N`, for `CLI.run(launcher:)`.
    static func launcher(_ mpirun: String, ranks: Int) -> [String] {
        ["/usr/bin/env"] + environment.split(separator: " ").map(String.init) + [mpirun, "--oversubscribe", "-np", "\(ranks)"]
    }

    /// The processes whose parent is `parent` (Linux: from /proc), in process-id order.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent
        }.sorted()
    }
}
