import Checkpoint
import DataParallel
import Foundation
import HDF5
import Training
import XCTest

/// A successful run replaces an existing checkpoint whole (write to a temporary file, then rename)
/// and leaves no temporary files behind.
final class CheckpointReplacementTests: XCTestCase {
    func testSuccessfulRunReplacesAnExistingCheckpoint() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("model.ckpt.h5")
        try Data("not a checkpoint: an older file that training must replace\n".utf8).write(to: URL(fileURLWithPath: checkpoint))
        let oldInode = try inode(checkpoint)

        let train = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "2",
                                 "--seed", "7", "--checkpoint", checkpoint])
        XCTAssertSuccess(train)
        XCTAssertTrue(train.stdout.contains("checkpoint: \(checkpoint)"), train.stdout)
        XCTAssertEqual(try folder.contents(), ["model.ckpt.h5"], "temporary files left behind")
        // Replaced by rename, not rewritten in place.
        XCTAssertNotEqual(try inode(checkpoint), oldInode, "the checkpoint should be a new file renamed over the old one")

        // The result is a complete, readable checkpoint.
        let file = try File.open(checkpoint)
        XCTAssertEqual(try file.root.stringAttribute("format"), "h5train-checkpoint")
        XCTAssertEqual(try file.root.intAttribute("epoch"), 2)
        XCTAssertEqual(try file.group("model").intArrayAttribute("layer_sizes"), [2, 4, 2])
        let evaluate = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("xor.h5")])
        XCTAssertSuccess(evaluate)
        XCTAssertTrue(evaluate.stdout.contains("100 rows"), evaluate.description)
        XCTAssertNotNil(field(after: "accuracy", in: evaluate.stdout), evaluate.description)
    }

    func testRetrainingOverAGoodCheckpointReplacesIt() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("model.ckpt.h5")
        let first = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "1", "--quiet",
                                 "--checkpoint", checkpoint])
        XCTAssertSuccess(first)
        let second = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "3", "--epochs", "1", "--quiet",
                                  "--checkpoint", checkpoint])
        XCTAssertSuccess(second)
        XCTAssertEqual(try folder.contents(), ["model.ckpt.h5"], "temporary files left behind")
        XCTAssertEqual(try File.open(checkpoint).group("model").intArrayAttribute("layer_sizes"), [2, 3, 2])
        XCTAssertSuccess(try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("xor.h5")]))
    }

    /// --checkpoint-every writes intermediate checkpoints to the same path; the last one wins.
    func testPeriodicCheckpointsLeaveOneCompleteFile() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("model.ckpt.h5"), metrics = folder.file("metrics.csv")
        let train = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "3",
                                 "--checkpoint-every", "1", "--checkpoint", checkpoint, "--metrics", metrics, "--quiet"])
        XCTAssertSuccess(train)
        XCTAssertEqual(try folder.contents(), ["metrics.csv", "model.ckpt.h5"])
        let file = try File.open(checkpoint)
        XCTAssertEqual(try file.root.intAttribute("epoch"), 3)
        XCTAssertEqual(try file.root.intAttribute("step"), 3 * 4)  // 400 rows / batch 128 → 4 steps per epoch
    }

    private func inode(_ path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }
}
