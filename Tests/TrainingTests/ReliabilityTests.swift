import Checkpoint
@testable import Data
@testable import DataParallel
import Foundation
import HDF5
@testable import NeuralNet
@testable import Optimizers
@testable import Settings
@testable import Training
import Checkpoint
import XCTest

/// Atomic, durable files; number formatting that cannot trap; memory refusals; and a metrics write
/// that fails in the middle of a run, which must save the trained epoch before reporting.
final class ReliabilityTests: XCTestCase {
    private let folder = TemporaryFolder()

    // MARK: - Formatting

    func testFormattingHugeAndNonFiniteNumbersDoesNotTrap() {
        XCTAssertEqual(String(format2: 2.954_623_787_188_38e26, 4), "2.95462378718838e+26")
        XCTAssertEqual(String(format2: -1e300, 2), "-1e+300")
        XCTAssertEqual(String(format2: 9.3e18, 0), "9.3e+18")
        XCTAssertEqual(String(format2: .infinity, 4), "inf")
        XCTAssertEqual(String(format2: 123_456.789_12, 2), "123456.79")  // below 1e15: fixed decimals as before
        XCTAssertEqual(String(format2: -0.000_04, 4), "0.0000")
        XCTAssertEqual(Int(saturating: .nan), 0)
        XCTAssertEqual(Int(saturating: 1e300), .max)
        XCTAssertEqual(Int(saturating: -.infinity), -.max)
        XCTAssertEqual(Int(saturating: -7.9), -7)
        let line = EpochMetrics(epoch: 1, step: 12, trainLoss: 2.95e26, validationLoss: .infinity, validationAccuracy: 0.1,
                                validationMAE: nil, learningRate: 1e6, samplesPerSecond: 1e300, seconds: 0.2).line(totalEpochs: 1)
        XCTAssertTrue(line.contains("train_loss 2.95e+26") && line.contains("val_loss inf") && line.contains("1e+300 samples/s"), line)
    }

    // MARK: - AtomicFile

    func testAtomicWriteReplacesTheFileAndLeavesNoTemporaryFile() throws {
        let path = folder.path("out.txt")
        try AtomicFile.write(Data("old\n".utf8), to: path)
        try AtomicFile.write(Data("new\n".utf8), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), ["out.txt"])
    }

    func testFailedFillLeavesTheOldFileAndNoTemporaryFile() throws {
        struct Broken: Error {}
        let path = folder.path("keep.txt")
        try AtomicFile.write(Data("kept\n".utf8), to: path)
        XCTAssertThrowsError(try AtomicFile.write(to: path) { (temporary: String) throws(Broken) in
            _ = FileManager.default.createFile(atPath: temporary, contents: Data("half".utf8))
            throw Broken()
        })
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "kept\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), ["keep.txt"])
    }

    func testStaleTemporaryFilesOfDeadProcessesAreRemovedAndLiveOnesKept() throws {
        let path = folder.path("model.h5")
        let dead = try deadProcessID()
        let stale = AtomicFile.temporaryPath(for: path, processID: dead)
        let live = AtomicFile.temporaryPath(for: path, processID: getppid())  // our parent is alive
        let other = folder.path(".other.h5.\(dead).tmp")  // another target's: not ours to remove
        for file in [stale, live, other] { _ = FileManager.default.createFile(atPath: file, contents: Data(count: 4096)) }
        try AtomicFile.write(Data("x".utf8), to: path)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: folder.url.path))
        XCTAssertEqual(names, ["model.h5", URL(fileURLWithPath: live).lastPathComponent, ".other.h5.\(dead).tmp"])
    }

    func testWritabilityCheckNamesTheProblem() throws {
        func message(_ path: String) -> String {
            do {
                try AtomicFile.checkWritable(path)
                return "writable"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(message(folder.path("fine.h5")), "writable")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), [], "the probe must be removed")
        XCTAssertEqual(message(folder.url.path), "\(folder.url.path) is a folder; give a file path")
        XCTAssertTrue(message(folder.path("missing/x.h5")).contains("does not exist"))
        XCTAssertTrue(message(folder.path(String(repeating: "n", count: 300))).contains("File name too long"))
        XCTAssertTrue(message("/dev/null").contains("not a regular file"))
    }

    // MARK: - Memory

    func testOverflowingAndOversizedNetworksAreRefusedUpFront() {
        XCTAssertNil(MemoryBudget.product([1 << 40, 1 << 30]))
        XCTAssertEqual(MemoryBudget.product([3, 5, 7]), 105)
        XCTAssertThrowsError(try MemoryBudget.checkParameterCount(widths: [64, 1_000_000_000_000_000_000, 10])) { error in
            XCTAssertEqual((error as? TrainingError)?.exitStatus, 64)
            XCTAssertTrue(flagged(error).hasPrefix("--hidden:"), flagged(error))
        }
        XCTAssertNoThrow(try MemoryBudget.checkParameterCount(widths: [784, 512, 256, 10]))
        // Twice the machine's memory in parameters alone.
        let width = MemoryBudget.available / 4 / 64 * 2
        let architecture = NetworkArchitectureFixture.make([64, width, 10])
        XCTAssertThrowsError(try MemoryBudget.checkTraining(architecture, stateBuffers: 1, batch: 1, workers: 1)) { error in
            XCTAssertTrue(flagged(error).hasPrefix("--hidden:") && flagged(error).contains("bytes"), flagged(error))
        }
        // A small network with absurdly many workers: their evaluation rows are what does not fit.
        let small = NetworkArchitectureFixture.make([64, 100_000, 10])
        XCTAssertThrowsError(try MemoryBudget.checkTraining(small, stateBuffers: 1, batch: 128, workers: 1_000_000)) { error in
            XCTAssertTrue(flagged(error).hasPrefix("--workers:"), flagged(error))
        }
        XCTAssertNoThrow(try MemoryBudget.checkTraining(small, stateBuffers: 1, batch: 128, workers: 2))
    }

    func testDatasetLargerThanMemoryIsRefusedWithItsSize() {
        XCTAssertThrowsError(try MemoryBudget.checkDataset(shape: [1 << 31, 8], file: "big.h5", dataset: "x")) { error in
            XCTAssertTrue("\(error)".contains("big.h5:x") && "\(error)".contains("68,719,476,736 bytes"), "\(error)")
        }
        XCTAssertThrowsError(try MemoryBudget.checkDataset(shape: [1 << 40, 1 << 30], file: "big.h5", dataset: "x"))
    }

    // MARK: - A metrics write that fails mid-run

    /// Replaces the metrics file with a folder when epoch `epoch` ends, so the write of its row fails.
    private final class BreakMetrics: TrainingObserver {
        let path: String, epoch: Int
        init(path: String, epoch: Int) { (self.path, self.epoch) = (path, epoch) }
        func note(_ text: SettingText) {}
        func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {}
        func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {
            guard metrics.epoch == epoch else { return }
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
    }

    func testFailedMetricsWriteSavesTheTrainedEpochFirstAndSaysHowToResume() throws {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: options.train.file, x: "x_test", y: "y_test")
        var config = TrainingConfiguration()
        (config.hidden, config.epochs, config.workers, config.batchSize) = ([16], 4, 2, 100)
        config.checkpointPath = folder.path("run.h5")
        config.metricsPath = folder.path("run.csv")
        let trainer = try Trainer(configuration: config, data: try DatasetLoader.load(options),
                                  observer: BreakMetrics(path: config.metricsPath!, epoch: 2), stateWriter: CheckpointWriter())
        XCTAssertThrowsError(try trainer.run()) { error in
            let text = flagged(error)
            XCTAssertEqual((error as? TrainingError)?.exitStatus, 1)
            XCTAssertTrue(text.hasPrefix(config.metricsPath!) && text.contains("h5train train --resume \(config.checkpointPath!)"), text)
        }
        let saved = try TrainingState.read(from: config.checkpointPath!)
        XCTAssertEqual(saved.progress?.epoch, 2, "the epoch whose row failed is saved")
        XCTAssertEqual(saved.progress?.history.count, 2)
        XCTAssertEqual(saved.parameters.map(\.bitPattern), trainer.engine.parameterValues.map(\.bitPattern))
    }

    /// The ID of a process that has exited (and been reaped).
    private func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}

/// Plain networks for the memory checks.
enum NetworkArchitectureFixture {
    static func make(_ widths: [Int]) -> NetworkArchitecture {
        NetworkArchitecture(inputs: widths[0], hidden: Array(widths.dropFirst().dropLast()), hiddenActivation: .relu,
                            outputs: widths.last!, outputActivation: .identity)
    }
}

/// An error as the command line shows it: settings spelled as flags.
private func flagged(_ error: Error) -> String {
    (error as? TrainingError)?.rendered(\.flag) ?? "\(error)"
}
