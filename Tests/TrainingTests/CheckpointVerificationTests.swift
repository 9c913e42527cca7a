@testable import Checkpoint
@testable import Data
import Foundation
import HDF5
import Settings
@testable import Training
import XCTest

/// A checkpoint edited or damaged in anything that changes what the model computes or where the run
/// resumes is refused with one line naming what is wrong — never a crash, never a different model.
final class CheckpointVerificationTests: XCTestCase {
    private let folder = TemporaryFolder()

    private func options() -> LoaderOptions {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.normalize = .standardize  // so /normalization holds datasets
        return options
    }

    private func configuration(checkpoint: String?) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.hidden = [16]
        config.epochs = 2
        config.workers = 2
        config.checkpointPath = checkpoint
        return config
    }

    /// A fresh two-epoch checkpoint.
    private func checkpoint(_ name: String) throws -> String {
        let path = folder.path(name)
        let trainer = try Trainer(configuration: configuration(checkpoint: path), data: try DatasetLoader.load(options()),
                                  observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try trainer.run()
        return path
    }

    private func edit(_ path: String, _ change: (File) throws -> Void) throws {
        let file = try File.open(path, mode: .readWrite)
        try change(file)
        try file.flush()
    }

    private func assertRefused(_ path: String, mentioning part: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TrainingState.read(from: path), file: file, line: line) { error in
            guard case .checkpoint(_, let message)? = error as? TrainingError else {
                return XCTFail("expected a checkpoint error, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(message.contains(part), "“\(part)” not in: \(message)", file: file, line: line)
        }
    }

    func testEditedValuesOutsideTheParametersAreRefused() throws {
        let mean = try checkpoint("mean.h5")
        try flipOneBit(ofDataset: "normalization/mean", in: mean)
        assertRefused(mean, mentioning: "checksum of its contents")
        let edits: [(String, (File) throws -> Void)] = [
            ("activations", { file in try file.group("model").setAttribute("activations", "tanh,softmax") }),
            ("seed", { file in try file.group("training").setAttribute("seed", 7) }),
            ("history", { file in try file.group("progress").setAttribute("best_val_loss", 0.001) }),
        ]
        for (name, change) in edits {
            let path = try checkpoint("\(name).h5")
            XCTAssertNoThrow(try TrainingState.read(from: path), name)
            try edit(path, change)
            assertRefused(path, mentioning: "checksum of its contents")
        }
    }

    /// Flips the lowest bit of the first value of a contiguous float32 dataset, found in the file's
    /// bytes as a hostile or unlucky disk would change it, without going through HDF5.
    private func flipOneBit(ofDataset name: String, in path: String) throws {
        let values = try File.open(path).dataset(name).read(Float.self)
        let pattern = values.withUnsafeBytes { Data($0) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let found = try XCTUnwrap(bytes.range(of: pattern), "the dataset's bytes are not stored contiguously")
        bytes[found.lowerBound] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    func testImpossiblePositionsAndSizesAreRefusedBeforeAnythingIsAllocated() throws {
        let negative = try checkpoint("negative.h5")
        try edit(negative) { try $0.group("progress").setAttribute("step_in_epoch", -5) }
        assertRefused(negative, mentioning: "step_in_epoch is -5")
        let step = try checkpoint("step.h5")
        try edit(step) { try $0.root.setAttribute("step", -1) }
        assertRefused(step, mentioning: "must be at least 0")
        let huge = try checkpoint("huge.h5")
        try edit(huge) { try $0.group("model").setAttribute("layer_sizes", [64, 1 << 40, 10]) }
        assertRefused(huge, mentioning: "cannot fit in memory")
    }

    func testAVersionOneFileLoadsAndAnImpossibleResumePositionIsRefused() throws {
        let path = try checkpoint("old.h5")
        let current = try TrainingState.read(from: path)
        try edit(path) { file in  // what an earlier h5train wrote: no content checksum
            try file.root.removeAttribute("content_checksum")
            try file.root.setAttribute("format_version", 1)
        }
        let old = try TrainingState.read(from: path)
        XCTAssertEqual(old.parameters.map(\.bitPattern), current.parameters.map(\.bitPattern))
        XCTAssertEqual(old.progress, current.progress)

        try edit(path) { try $0.group("progress").setAttribute("step_in_epoch", 1_000_000) }
        let edited = try TrainingState.read(from: path)  // version 1 cannot tell, but resuming can
        let trainer = try Trainer(configuration: configuration(checkpoint: nil), data: try DatasetLoader.load(options()),
                                  observer: SilentObserver())
        XCTAssertThrowsError(try trainer.restore(from: edited, path: path)) { error in
            XCTAssertTrue("\(error)".contains("is not a position in a run of 12 steps per epoch"), "\(error)")
        }
    }
}
