import CHDF5
import Checkpoint
import DataParallel
import Foundation
import HDF5
import Optimizers
import Training
import Checkpoint
import XCTest

/// The faults a tester found: each run is bounded by a time-out and must end with an exit status
/// (never a signal), one clear line, and checkpoints that are intact.
final class FaultTests: XCTestCase {
    private var folder: TemporaryDirectory!
    private let digits = CLI.dataset("digits.h5")

    override func setUpWithError() throws { folder = try TemporaryDirectory(prefix: "h5train-faults") }
    override func tearDown() { folder = nil }

    private func train(_ extra: [String], timeout: Double = 120) throws -> CLIResult {
        try CLI.run(["train", "--data", digits, "--hidden", "8", "--quiet"] + extra, timeout: timeout)
    }

    /// Exit `status`, no crash, and exactly one error line that mentions every string.
    private func assertRefused(_ result: CLIResult, status: Int32, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoCrash(result, file: file, line: line)
        XCTAssertEqual(result.status, status, "\(result)", file: file, line: line)
        let errors = result.stderrLines.filter { $0.hasPrefix("h5train: error: ") || $0.hasPrefix("Error: ") }
        XCTAssertEqual(errors.count, 1, "expected one error line: \(result)", file: file, line: line)
        for text in mentions {
            XCTAssertTrue(errors.first?.contains(text) ?? false, "should mention '\(text)': \(result)", file: file, line: line)
        }
    }

    // MARK: - Worker counts beyond what Dispatch runs at once

    func testHundredsOfWorkersTrainEvaluateAndPredictLikeOne() throws {
        let many = folder.file("many.h5"), one = folder.file("one.h5")
        XCTAssertSuccess(try train(["--epochs", "1", "--workers", "300", "--checkpoint", many]))
        XCTAssertSuccess(try train(["--epochs", "1", "--workers", "1", "--checkpoint", one]))
        XCTAssertEqual(try TrainingState.read(from: many).parameters.map(\.bitPattern), try TrainingState.read(from: one).parameters.map(\.bitPattern),
                       "300 workers must give the bits of 1")
        let evaluated = try CLI.run(["evaluate", "--checkpoint", many, "--data", digits, "--x", "x_test", "--y", "y_test", "--workers", "1000"], timeout: 120)
        XCTAssertNoCrash(evaluated)
        XCTAssertEqual(evaluated.status, 0, "\(evaluated)")
        let predicted = try CLI.run(["predict", "--checkpoint", many, "--data", digits, "--x", "x_test", "--out", folder.file("p.h5"),
                                     "--workers", "300"], timeout: 120)
        XCTAssertNoCrash(predicted)
        XCTAssertEqual(predicted.status, 0, "\(predicted)")
    }

    func testFirstInterruptStopsARunWithHundredsOfWorkers() throws {
        let checkpoint = folder.file("stopped.h5")
        let process = Process()
        process.executableURL = try XCTUnwrap(CLI.executable)
        process.arguments = ["train", "--data", digits, "--hidden", "8", "--quiet", "--epochs", "100000", "--workers", "257",
                             "--checkpoint", checkpoint]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        Thread.sleep(forTimeInterval: 3)  // well into training
        process.interrupt()
        if finished.wait(timeout: .now() + 60) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return XCTFail("one SIGINT did not stop a run of 257 workers within 60 s")
        }
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertGreaterThan(try TrainingState.read(from: checkpoint).step, 0, "the stopped run saved its steps")
    }

    // MARK: - Numbers

    func testHugeFiniteLossIsReportedNotCrashedOn() throws {
        let result = try CLI.run(["train", "--data", digits, "--epochs", "1", "--lr", "1e6", "--checkpoint", folder.file("big.h5")])
        XCTAssertNoCrash(result)
        XCTAssertEqual(result.status, 0, "\(result)")
        let epochLine = try XCTUnwrap(result.stdoutLines.first { $0.hasPrefix("epoch 1/1") }, "\(result)")
        let loss = try XCTUnwrap(Double(epochLine.split(separator: " ").drop { $0 != "train_loss" }.dropFirst().first ?? ""))
        XCTAssertGreaterThan(loss, 1e15, epochLine)
    }

    func testNegativeSeedAndWidthGetAClearMessage() throws {
        assertRefused(try train(["--seed", "-1"]), status: 64, mentions: ["--seed", "negative seeds are not allowed"])
        assertRefused(try train(["--hidden", "-5"]), status: 64, mentions: ["--hidden", "positive widths", "'-5'"])
    }

    // MARK: - Memory and overflow

    func testModelsThatCannotFitOrOverflowAreRefusedUpFront() throws {
        let huge = try train(["--hidden", "100000000", "--checkpoint", folder.file("m.h5")])
        assertRefused(huge, status: 64, mentions: ["--hidden", "bytes", "more than"])
        XCTAssertLessThan(huge.seconds, 30)
        assertRefused(try train(["--hidden", "1000000000000000000"]), status: 64, mentions: ["--hidden", "parameters"])
        assertRefused(try train(["--epochs", "1000000000000000000"]), status: 64, mentions: ["--epochs", "steps"])
        XCTAssertSuccess(try train(["--epochs", "1", "--shard-size", "\(Int.max)"]))
        XCTAssertEqual(try folder.contents(), [], "nothing written")
    }

    func testWorkerCountsWhoseBuffersCannotFitAreRefused() throws {
        let checkpoint = folder.file("small.h5")
        XCTAssertSuccess(try train(["--epochs", "1", "--checkpoint", checkpoint]))
        for command in [["evaluate", "--y", "y_test"], ["predict", "--out", folder.file("p.h5")]] {
            let result = try CLI.run([command[0], "--checkpoint", checkpoint, "--data", digits, "--x", "x_test"] + command.dropFirst()
                                     + ["--workers", "1000000000000"], timeout: 60)
            assertRefused(result, status: 64, mentions: ["--workers", "bytes"])
        }
        assertRefused(try train(["--epochs", "1", "--workers", "1000000000000"]), status: 64, mentions: ["--workers", "bytes"])
    }

    func testDatasetLargerThanMemoryIsRefusedWithItsSize() throws {
        let path = folder.file("rows.h5")
        // 2³¹ rows of 16 bytes (32 GiB as stored) and their targets as Float32 (8 GiB): read whole,
        // they cannot fit; streamed (what --memory-budget auto then chooses), rows cannot be indexed.
        try Self.makeHugeUnwrittenDataset(at: path, rows: 1 << 31, features: 16)
        let result = try CLI.run(["train", "--data", path, "--x", "x", "--y", "y", "--quiet"], timeout: 60)
        assertRefused(result, status: 1, mentions: [path, "x", "2,147,483,648 rows", "at most 2,147,483,647"])
        // predict reads in chunks, but holds every row's outputs.
        let checkpoint = folder.file("eight.h5")
        let wide = folder.file("wide.h5")
        try Self.makeHugeUnwrittenDataset(at: wide, rows: 1 << 31, features: 64)
        XCTAssertSuccess(try train(["--epochs", "1", "--checkpoint", checkpoint]))
        let predicted = try CLI.run(["predict", "--checkpoint", checkpoint, "--data", wide, "--x", "x", "--out", folder.file("p.h5")], timeout: 60)
        assertRefused(predicted, status: 1, mentions: [wide, "85,899,345,920 bytes", "more than"])
    }

    // MARK: - Outputs checked before the work

    func testUnwritableOutputsAreRefusedBeforeTraining() throws {
        let long = folder.file(String(repeating: "n", count: 300) + ".h5")
        for (flag, path, reason) in [("--checkpoint", folder.path, "is a folder"), ("--checkpoint", "/proc/model.h5", "cannot create a file"),
                                     ("--checkpoint", long, "File name too long"), ("--metrics", folder.path, "is a folder")] {
            let result = try train(["--epochs", "50", flag, path])
            assertRefused(result, status: 64, mentions: [flag, reason])
            XCTAssertLessThan(result.seconds, 20, "refused only after training: \(result)")
        }
        let plot = try CLI.run(["lr-find", "--data", digits, "--hidden", "8", "--steps", "20", "--plot", folder.path])
        assertRefused(plot, status: 64, mentions: ["--plot", "is a folder"])
        XCTAssertFalse(plot.stdout.contains("suggest"), "refused after the sweep: \(plot)")
        XCTAssertEqual(try folder.contents(), [])
    }

    func testUnwritableMetricsOnResumeLeavesTheCheckpointAsItWas() throws {
        let checkpoint = folder.file("run.h5")
        XCTAssertSuccess(try train(["--epochs", "1", "--checkpoint", checkpoint]))
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        let result = try CLI.run(["train", "--resume", checkpoint, "--epochs", "2", "--metrics", "/dev/full", "--quiet"])
        assertRefused(result, status: 64, mentions: ["--metrics", "/dev/full"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), before)
    }

    // MARK: - Temporary files and metrics rows

    func testStaleTemporaryFilesAreRemovedOnTheNextRunButALiveProcessesAreKept() throws {
        let checkpoint = folder.file("run.h5")
        let dead = try Self.deadProcessID()
        let stale = folder.file(".run.h5.\(dead).tmp"), live = folder.file(".run.h5.\(getpid()).tmp")
        _ = FileManager.default.createFile(atPath: stale, contents: Data(count: 4_300_000))
        _ = FileManager.default.createFile(atPath: live, contents: Data(count: 10))
        XCTAssertSuccess(try train(["--epochs", "1", "--checkpoint", checkpoint]))
        XCTAssertEqual(try folder.contents(), [".run.h5.\(getpid()).tmp", "run.h5"])
    }

    func testResumedMetricsHoldExactlyTheCheckpointsHistory() throws {
        let checkpoint = folder.file("run.h5"), metrics = folder.file("run.csv")
        XCTAssertSuccess(try train(["--epochs", "1", "--checkpoint", checkpoint, "--metrics", metrics]))
        let afterOne = try String(contentsOfFile: metrics, encoding: .utf8)
        // A run killed right after writing epoch 2's row, before its checkpoint: the row is there twice
        // unless the resumed run starts the file from the checkpoint's history.
        let orphan = "2,24,0.5,,,,0.01,1000.0,0.100\n"
        try (afterOne + orphan).write(toFile: metrics, atomically: true, encoding: .utf8)
        XCTAssertSuccess(try CLI.run(["train", "--resume", checkpoint, "--epochs", "2", "--metrics", metrics, "--quiet"]))
        let rows = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 3, rows.joined(separator: "\n"))
        XCTAssertEqual(rows.prefix(2).joined(separator: "\n") + "\n", afterOne, "epoch 1's row as first written")
        XCTAssertFalse(rows.contains(orphan.trimmingCharacters(in: .newlines)))
        let history = try XCTUnwrap(TrainingState.read(from: checkpoint).progress).history
        XCTAssertEqual(rows.dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") },
                       history.map { "\($0.epoch),\($0.step),\($0.trainLoss)" })
    }

    // MARK: - Helpers

    /// An HDF5 file whose uint8 datasets x (rows × features) and y (rows) are declared but never
    /// written, so the file is a few kilobytes however many rows it claims.
    static func makeHugeUnwrittenDataset(at path: String, rows: Int, features: Int) throws {
        let file = H5Fcreate(path, h5shim_f_acc_trunc(), h5shim_p_default(), h5shim_p_default())
        XCTAssertGreaterThanOrEqual(file, 0)
        for (name, shape) in [("x", [rows, features]), ("y", [rows])] {
            var dims = shape.map { hsize_t($0) }
            let space = H5Screate_simple(Int32(dims.count), &dims, nil)
            let dataset = H5Dcreate2(file, name, h5shim_std_u8le(), space, h5shim_p_default(), h5shim_p_default(), h5shim_p_default())
            XCTAssertGreaterThanOrEqual(dataset, 0)
            H5Dclose(dataset)
            H5Sclose(space)
        }
        H5Fclose(file)
    }

    /// The ID of a process that has exited (and been reaped).
    static func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
