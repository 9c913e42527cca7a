import Checkpoint
import DataParallel
import Foundation
import HDF5
import Training
import XCTest

/// Ctrl-C during training: the run saves a checkpoint, says how to resume, exits 130; resuming
/// finishes with exactly the weights of a run that was never interrupted.
final class InterruptResumeTests: XCTestCase {
    private func weights(_ path: String) throws -> [[UInt32]] {
        let file = try File.open(path)
        return try (0..<3).flatMap { layer in
            try ["weight", "bias"].map { try file.dataset("model/dense_\(layer)/\($0)").read(Float.self).map(\.bitPattern) }
        }
    }

    func testSIGINTSavesAResumableCheckpoint() throws {
        let folder = try TemporaryDirectory()
        let common = ["train", "--data", CLI.dataset("digits.h5"), "--val-x", "x_test", "--val-y", "y_test",
                      "--hidden", "128,128", "--batch-size", "32", "--epochs", "12", "--seed", "3"]
        let reference = folder.file("reference.h5"), interrupted = folder.file("interrupted.h5")
        XCTAssertSuccess(try CLI.run(common + ["--workers", "1", "--checkpoint", reference, "--quiet"]))

        // Start the same run, wait until it has finished an epoch, then interrupt it.
        let executable = try XCTUnwrap(CLI.executable)
        let output = folder.file("stdout"), errors = folder.file("stderr")
        FileManager.default.createFile(atPath: output, contents: nil)
        FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = common + ["--workers", "2", "--checkpoint", interrupted]
        process.currentDirectoryURL = CLI.repositoryRoot
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning,
              !((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("epoch 2/12") {
            usleep(20_000)
        }
        XCTAssertTrue(process.isRunning, "the run ended before it could be interrupted; make it longer")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = try String(contentsOfFile: errors, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertEqual(process.terminationReason, .exit, "it exits, not killed by the signal")
        XCTAssertTrue(message.contains("h5train train --resume \(interrupted)"), message)
        let stoppedAt = try File.open(interrupted).root.intAttribute("step")
        XCTAssertLessThan(stoppedAt, 12 * 45, "stopped before the end")

        // Resume with a third worker count: identical final weights.
        XCTAssertSuccess(try CLI.run(["train", "--resume", interrupted, "--workers", "3", "--quiet"]))
        XCTAssertEqual(try weights(interrupted), try weights(reference))
        XCTAssertEqual(try File.open(interrupted).root.intAttribute("step"), 12 * 45)
    }

    func testResumeRefusesChangesUnlessOverridden() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("run.h5")
        XCTAssertSuccess(try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "2",
                                      "--checkpoint", path, "--quiet"]))
        let refused = try CLI.run(["train", "--resume", path, "--epochs", "4", "--lr", "0.01"])
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.contains("--lr") && refused.stderr.contains("--override"), refused.stderr)
        let fixed = try CLI.run(["train", "--resume", path, "--hidden", "8", "--override"])
        XCTAssertEqual(fixed.status, 64)
        XCTAssertTrue(fixed.stderr.contains("--hidden") && fixed.stderr.contains("cannot change"), fixed.stderr)
        let applied = try CLI.run(["train", "--resume", path, "--epochs", "4", "--lr", "0.01", "--override"])
        XCTAssertSuccess(applied)
        XCTAssertTrue(applied.stdout.contains("--override applies --lr"), applied.stdout)
        XCTAssertEqual(try File.open(path).root.intAttribute("epoch"), 4, "--epochs extends the run")
    }
}
