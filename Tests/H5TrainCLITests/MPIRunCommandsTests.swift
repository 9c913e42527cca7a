import Foundation
import HDF5
import XCTest

/// The commands other than `train` and `bench` under mpirun, and what a run across processes
/// records and plans: commands that work in one process run once, on rank 0; `lr-find` runs
/// across the ranks with one process's curve; ranks on one host share its memory; the checkpoint
/// records the ranks and hosts.
extension MPIRunTests {
    /// A small digits checkpoint trained in one process.
    private func digitsCheckpoint(in folder: TemporaryDirectory) throws -> String {
        let checkpoint = folder.file("digits.h5")
        XCTAssertSuccess(try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--hidden", "16", "--epochs", "1",
                                      "--quiet", "--checkpoint", checkpoint]))
        return checkpoint
    }

    /// Rank 0 alone evaluates and predicts (one result line, one prediction file, the same as one
    /// process's), says once that the command runs in one process, and every rank exits 0.
    func testEvaluateAndPredictRunOnceOnRankZero() throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        let checkpoint = try digitsCheckpoint(in: folder)
        let data = CLI.dataset("digits.h5")
        let note = "h5train: note: %@ runs in one process: rank 0 runs it on --workers threads (all its host's cores by default); the other rank exits at once"

        let single = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", data])
        let evaluate = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", data], launcher: MPI.launcher(mpirun, ranks: 2))
        XCTAssertNoCrash(evaluate)
        XCTAssertEqual(evaluate.status, 0, "\(evaluate)")  // its standard error holds the note, checked below
        XCTAssertEqual(evaluate.stdoutLines, single.stdoutLines, "\(evaluate)")
        XCTAssertEqual(evaluate.stdoutLines.filter { $0.contains("accuracy") }.count, 1, "\(evaluate)")
        XCTAssertEqual(evaluate.stderrLines, [String(format: note, "evaluate")], "\(evaluate)")

        let reference = folder.file("one.h5"), out = folder.file("ranks.h5")
        XCTAssertSuccess(try CLI.run(["predict", "--checkpoint", checkpoint, "--data", data, "--x", "x_test", "--out", reference]))
        let predict = try CLI.run(["predict", "--checkpoint", checkpoint, "--data", data, "--x", "x_test", "--out", out],
                                  launcher: MPI.launcher(mpirun, ranks: 2))
        XCTAssertNoCrash(predict)
        XCTAssertEqual(predict.status, 0, "\(predict)")  // its standard error holds the note, checked below
        XCTAssertEqual(predict.stdoutLines, ["\(data) x_test: 360 rows → \(out): probabilities (360, 10) and classes (360)"], "\(predict)")
        XCTAssertEqual(predict.stderrLines, [String(format: note, "predict")], "\(predict)")
        XCTAssertEqual(try File.open(out).dataset("probabilities").read(Float.self).map(\.bitPattern),
                       try File.open(reference).dataset("probabilities").read(Float.self).map(\.bitPattern))
        XCTAssertEqual(try File.open(out).dataset("classes").read(Int64.self), try File.open(reference).dataset("classes").read(Int64.self))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasSuffix(".tmp") }, [])
    }

    /// Commands without workers say only that rank 0 runs them; a failure on rank 0 ends the job at
    /// once with one line (the other rank never waits for it).
    func testInspectRunsOnceAndAFailureOnRankZeroEndsTheJob() throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        let checkpoint = try digitsCheckpoint(in: folder)
        let inspect = try CLI.run(["inspect", checkpoint], launcher: MPI.launcher(mpirun, ranks: 3))
        XCTAssertNoCrash(inspect)
        XCTAssertEqual(inspect.status, 0, "\(inspect)")  // its standard error holds the note, checked below
        XCTAssertEqual(inspect.stdoutLines.filter { $0.hasPrefix("checkpoint ") }.count, 1, "\(inspect)")
        XCTAssertEqual(inspect.stderrLines, ["h5train: note: inspect runs in one process: rank 0 runs it; the other 2 ranks exit at once"],
                       "\(inspect)")

        let missing = folder.file("missing.h5")
        let failed = try CLI.run(["evaluate", "--checkpoint", missing, "--data", CLI.dataset("digits.h5")], timeout: 60,
                                 launcher: MPI.launcher(mpirun, ranks: 2))
        XCTAssertNotEqual(failed.status, 0, "\(failed)")
        XCTAssertFalse(failed.timedOut, "\(failed)")
        XCTAssertEqual(failed.stderrLines.filter { $0.hasPrefix("h5train: error: ") && $0.contains(missing) }.count, 1, "\(failed)")
    }

    /// The sweep's steps spread over 2 ranks give one process's curve bit for bit, to where it
    /// diverges, from data in memory or streamed; rank 0 alone prints and writes it.
    func testLRFindAcrossRanksGivesOneProcesssCurve() throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        let sweep = ["lr-find", "--data", CLI.dataset("digits.h5"), "--hidden", "24", "--steps", "60", "--end-lr", "1000", "--seed", "3"]
        let one = folder.file("one.csv"), two = folder.file("two.csv")
        let single = try CLI.run(sweep + ["--workers", "2", "--out", one])
        XCTAssertSuccess(single)
        let ranks = try CLI.run(sweep + ["--workers", "1", "--out", two], timeout: 120, launcher: MPI.launcher(mpirun, ranks: 2))
        XCTAssertSuccess(ranks)
        let curve = try String(contentsOfFile: two, encoding: .utf8)
        XCTAssertEqual(curve, try String(contentsOfFile: one, encoding: .utf8))
        XCTAssertLessThan(curve.split(separator: "\n").count, 61, "the sweep should diverge before its last step:\n\(curve)")
        XCTAssertEqual(ranks.stdoutLines.filter { $0.hasPrefix("suggested learning rate: ") }.count, 1, "\(ranks)")
        XCTAssertEqual(ranks.stdoutLines.filter { $0.hasPrefix("stopped at step ") },
                       single.stdoutLines.filter { $0.hasPrefix("stopped at step ") }, "\(ranks)")
        XCTAssertTrue(ranks.stdoutLines.contains { $0.hasPrefix("lr-find: ") && $0.hasSuffix(", across 2 ranks × 1 worker on \(ProcessInfo.processInfo.hostName)") },
                      "\(ranks)")

        // Streamed through a small budget: every rank reads its own windows in the same order.
        let streamedOne = folder.file("streamed-one.csv"), streamedTwo = folder.file("streamed-two.csv")
        XCTAssertSuccess(try CLI.run(sweep + ["--workers", "2", "--memory-budget", "64K", "--quiet", "--out", streamedOne]))
        XCTAssertSuccess(try CLI.run(sweep + ["--workers", "1", "--memory-budget", "64K", "--quiet", "--out", streamedTwo], timeout: 120,
                                     launcher: MPI.launcher(mpirun, ranks: 2)))
        XCTAssertEqual(try String(contentsOfFile: streamedTwo, encoding: .utf8), try String(contentsOfFile: streamedOne, encoding: .utf8))
    }

    /// Two ranks on this host plan with half its memory each, and say so; the checkpoint records
    /// 2 ranks on this host, which inspect shows, and one process resuming it records itself.
    func testRanksOnOneHostShareItsMemoryAndTheCheckpointRecordsThem() throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("spread.h5"), host = ProcessInfo.processInfo.hostName
        let train = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--hidden", "16", "--epochs", "1", "--workers", "1",
                                 "--checkpoint", checkpoint], timeout: 120, launcher: MPI.launcher(mpirun, ranks: 2))
        XCTAssertSuccess(train)
        XCTAssertTrue(train.stdoutLines.contains { $0.hasPrefix("data: in memory: this rank's part of the data (") && $0.contains(" fits in half this rank's share (1/2) of the memory available (") },
                      "\(train)")
        let training = try File.open(checkpoint).group("training")
        XCTAssertEqual(try training.intAttribute("ranks"), 2)
        XCTAssertEqual(try training.stringAttribute("hosts"), "\(host),\(host)")
        let inspect = try CLI.run(["inspect", checkpoint])
        XCTAssertTrue(inspect.stdoutLines.contains { $0.hasPrefix("trained with ") && $0.hasSuffix(" 2 ranks × 1 worker on \(host) (does not change the result)") },
                      "\(inspect)")

        XCTAssertSuccess(try CLI.run(["train", "--resume", checkpoint, "--epochs", "2", "--workers", "2", "--quiet"]))
        let resumed = try File.open(checkpoint).group("training")
        XCTAssertEqual(try resumed.intAttribute("ranks"), 1)
        XCTAssertFalse(resumed.hasAttribute("hosts"))
    }

    /// With the rows spread over 3 ranks rank 0 holds 479 of digits' 1437 rows; it still probes the
    /// network with the set's first 512 rows, so `--diagnostics` prints one process's table.
    /// (Probing its own 479 rows, it would count 57.9 % of the 1000 ReLUs dead, not 57.4 %.)
    func testDiagnosticsAcrossRanksAreOneProcesss() throws {
        let mpirun = try MPI.mpirun()
        let arguments = ["train", "--data", CLI.dataset("digits.h5"), "--hidden", "1000", "--lr", "1", "--epochs", "1",
                         "--workers", "1", "--diagnostics"]
        let one = try CLI.run(arguments), three = try CLI.run(arguments, timeout: 120, launcher: MPI.launcher(mpirun, ranks: 3))
        XCTAssertSuccess(one)
        XCTAssertSuccess(three)
        XCTAssertTrue(three.stdoutLines.contains { $0.hasPrefix("data: rank 0 holds rows 0..<479 of 1437 (") }, "\(three)")
        let table = { (result: CLIResult) in result.stdoutLines.filter { $0.hasPrefix("  1 64→1000 relu ") } }
        XCTAssertEqual(table(one).count, 1, "\(one)")
        XCTAssertEqual(table(three), table(one))
    }

    /// Ranks whose shares differ (here rank 0 is told it is alone on its host, rank 1 that it shares
    /// it with another) plan with the smaller, so both keep the data the same way; rank 0 says whose.
    func testRanksAgreeOnTheSmallestShare() throws {
        let mpirun = try MPI.mpirun()
        let folder = try TemporaryDirectory()
        let arguments = ["train", "--data", CLI.dataset("digits.h5"), "--epochs", "1", "--workers", "1", "--checkpoint", folder.file("agreed.h5")]
        let script = "exec env \(MPI.environment) \(mpirun) --oversubscribe -np 1 env OMPI_COMM_WORLD_LOCAL_SIZE=1 \"$0\" \"$@\""
            + " : -np 1 env OMPI_COMM_WORLD_LOCAL_SIZE=2 \"$0\" \"$@\""
        let result = try CLI.run(arguments, timeout: 120, launcher: ["/bin/sh", "-c", script])
        XCTAssertSuccess(result)
        let host = ProcessInfo.processInfo.hostName
        XCTAssertTrue(result.stdoutLines.contains { $0.hasPrefix("data: in memory: this rank's part of the data (") && $0.contains(" fits in half rank 1's share (1/2) of the memory available on \(host) (") && $0.hasSuffix("), the least of any rank's") },
                      "\(result)")
    }

    /// Ranks that would keep the data differently (one streams it, one holds it in memory) would
    /// visit the rows in different orders; they are refused at start-up, naming the rank.
    func testRanksThatKeepTheDataDifferentlyAreRefusedNamingTheRank() throws {
        let mpirun = try MPI.mpirun()
        let data = CLI.dataset("digits.h5")
        let result = try CLI.run(["train", "--data", data, "--epochs", "1", "--quiet", "--memory-budget", "64K"], timeout: 60,
                                 launcher: ["/bin/sh", "-c",
                                            "exec env \(MPI.environment) \(mpirun) --oversubscribe -np 1 \"$0\" \"$@\" : -np 1 \"$0\" train --data \(data) --epochs 1 --quiet"])
        XCTAssertNotEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stderr.contains("rank 1 (") && result.stderr.contains("differ from rank 0's"), "\(result)")
    }
}
