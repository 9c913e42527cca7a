import Checkpoint
import Foundation
import HDF5
import Training
import XCTest

/// `train --memory-budget`: the choice it reports, its validation, and streamed files that are
/// truncated or deleted while training reads them.
final class StreamingCLITests: XCTestCase {
    private var folder: TemporaryDirectory!

    override func setUpWithError() throws { folder = try TemporaryDirectory(prefix: "h5train-streaming") }
    override func tearDown() { folder = nil }

    /// The digits training data in gzip chunks of 50 rows, as a file of its own.
    /// digits' training rows (`copies` times over) in gzip chunks of 50 rows.
    private func chunkedDigits(copies: Int = 1) throws -> String {
        let source = try File.open(CLI.dataset("digits.h5"))
        let x = [[Float]](repeating: try source.dataset("x_train").read(Float.self), count: copies).flatMap { $0 }
        let y = [[Int64]](repeating: try source.dataset("y_train").read(Int64.self), count: copies).flatMap { $0 }
        let path = folder.file("digits-chunked.h5")
        let file = try File.create(path)
        try file.root.createDataset("x_train", shape: [y.count, 8, 8], values: x, chunkRows: 50, gzipLevel: 4)
        try file.root.createDataset("y_train", shape: [y.count], values: y)
        try file.flush()
        return path
    }

    /// Exactly one error line, naming every one of `mentions`.
    private func assertOneErrorLine(_ result: CLIResult, status: Int32, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoCrash(result, file: file, line: line)
        XCTAssertEqual(result.status, status, "\(result)", file: file, line: line)
        let errors = result.stderrLines.filter { $0.hasPrefix("h5train: error: ") || $0.hasPrefix("Error: ") }
        XCTAssertEqual(errors.count, 1, "expected one error line: \(result)", file: file, line: line)
        for text in mentions {
            XCTAssertTrue(errors.first?.contains(text) ?? false, "should mention '\(text)': \(result)", file: file, line: line)
        }
    }

    func testStartUpLinesSayWhetherTheDataIsStreamedAndWhy() throws {
        let inMemory = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--hidden", "8", "--epochs", "1"])
        XCTAssertSuccess(inMemory)
        XCTAssertTrue(inMemory.stdoutLines.contains { $0.hasPrefix("data: in memory: the data (") && $0.contains("fits in half the memory available") }, "\(inMemory)")
        let streamed = try CLI.run(["train", "--data", try chunkedDigits(), "--hidden", "8", "--epochs", "1", "--memory-budget", "200K"])
        XCTAssertSuccess(streamed)
        XCTAssertTrue(streamed.stdoutLines.contains("data: streaming x_train in blocks of 5 rows (chunks of 50, each read in 10 parts), windows of 74 blocks, budget 200 KiB: --memory-budget 200 KiB"), "\(streamed)")
    }

    func testAStreamedRunResumesInItsOwnWindowsWhateverTheBudget() throws {
        let data = try chunkedDigits()
        let whole = folder.file("whole.h5"), part = folder.file("part.h5")
        let common = ["train", "--data", data, "--hidden", "8", "--quiet", "--seed", "3"]
        XCTAssertSuccess(try CLI.run(common + ["--epochs", "3", "--memory-budget", "200K", "--workers", "2", "--checkpoint", whole]))
        XCTAssertSuccess(try CLI.run(common + ["--epochs", "2", "--memory-budget", "200K", "--workers", "1", "--checkpoint", part]))
        let resumed = try CLI.run(["train", "--resume", part, "--epochs", "3", "--workers", "3", "--memory-budget", "64M"])
        XCTAssertSuccess(resumed)
        let a = try TrainingState.read(from: whole), b = try TrainingState.read(from: part)
        XCTAssertEqual(b.progress?.window, a.progress?.window)
        XCTAssertNotNil(a.progress?.window)
        XCTAssertEqual(a.parameters.map(\.bitPattern), b.parameters.map(\.bitPattern), "resumed with another budget and worker count")
    }

    func testAMemoryBudgetThatIsNotASizeIsRefused() throws {
        for bad in ["lots", "12Q", "0"] {
            let result = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--memory-budget", bad])
            assertOneErrorLine(result, status: 64, mentions: ["--memory-budget", bad])
        }
    }

    func testAFileTruncatedMidRunStopsTrainingWithOneLine() throws {
        try assertDamageMidRun(mentions: ["truncated"]) { path in
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            XCTAssertEqual(truncate(path, off_t(size / 2)), 0)
        }
    }

    func testAFileDeletedMidRunStopsTrainingWithOneLine() throws {
        try assertDamageMidRun(mentions: ["deleted"]) { path in try FileManager.default.removeItem(atPath: path) }
    }

    /// Compressed chunk bytes overwritten in place (same file, same size): inflating them fails.
    /// Four copies of digits (1.5 MB of features) outgrow HDF5's 1 MiB chunk cache, so damaged
    /// chunks are read again.
    func testAChunkDamagedMidRunStopsTrainingWithOneLine() throws {
        try assertDamageMidRun(mentions: [], copies: 4) { path in
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
            try handle.seek(toOffset: UInt64(size / 4))  // inside x_train's chunks, written first
            try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
            try handle.close()
        }
    }

    /// Starts a long streamed run, damages its data once a checkpoint exists, and expects exit 1,
    /// one line naming the file, the dataset and the rows, and the last checkpoint readable.
    private func assertDamageMidRun(mentions: [String], copies: Int = 1, damage: (String) throws -> Void,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try chunkedDigits(copies: copies), checkpoint = folder.file("run.ckpt.h5")
        let output = folder.file("stdout"), errors = folder.file("stderr")
        FileManager.default.createFile(atPath: output, contents: nil)
        FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = try XCTUnwrap(CLI.executable)
        process.arguments = ["train", "--data", data, "--hidden", "8", "--epochs", "100000", "--memory-budget", "200K",
                             "--checkpoint", checkpoint, "--checkpoint-every-steps", "20", "--quiet"]
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: errors)
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        let deadline = Date(timeIntervalSinceNow: 60)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        try damage(data)
        if finished.wait(timeout: .now() + 60) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return XCTFail("the run did not stop within 60 s of its data being damaged", file: file, line: line)
        }
        let result = CLIResult(arguments: process.arguments ?? [], status: process.terminationStatus,
                               terminatedBySignal: process.terminationReason == .uncaughtSignal, timedOut: false,
                               stdout: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "",
                               stderr: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "", seconds: 0)
        assertOneErrorLine(result, status: 1, mentions: [data, "x_train", "rows"] + mentions, file: file, line: line)
        XCTAssertGreaterThan(try TrainingState.read(from: checkpoint).step, 0, "the last checkpoint is intact", file: file, line: line)
    }
}
