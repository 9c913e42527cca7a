@testable import Checkpoint
@testable import Data
@testable import DataParallel
import Foundation
import HDF5
@testable import NeuralNet
@testable import Optimizers
@testable import Settings
@testable import Training
import XCTest

/// Exact resume: an interrupted and resumed run ends with the same bits as an uninterrupted one.
final class ResumeTests: XCTestCase {
    private let folder = TemporaryFolder()

    /// Requests a stop when the run reaches a given step (as a signal handler would).
    private final class StopAtStep: TrainingObserver {
        let stop = StopRequest()
        let step: Int
        var seen = 0
        init(step: Int) { self.step = step }
        func note(_ text: SettingText) {}
        func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {
            seen += 1
            if seen == step { stop.request() }
        }
        func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {}
    }

    private func digits() throws -> LoadedData {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: options.train.file, x: "x_test", y: "y_test")
        return try DatasetLoader.load(options)
    }

    private func configuration(epochs: Int, workers: Int = 2, optimizer: String = "sgd", plateau: Bool = false) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.hidden = [24]
        config.epochs = epochs
        config.workers = workers
        config.batchSize = 100  // 1437 rows: 15 steps, the last one ragged
        config.optimizer.kind = OptimizerKind(rawValue: optimizer)!
        config.checkpointPath = folder.path("run-\(optimizer)\(plateau ? "-plateau" : "").h5")
        if plateau {
            // A large rate and no patience: the validation loss stalls and the rate drops mid-run.
            config.learningRate = 0.5
            config.schedule.kind = ScheduleKind(rawValue: "plateau")!
            config.schedule.patience = 0
            config.schedule.factor = 0.5
        }
        return config
    }

    private func resume(_ path: String, epochs: Int, workers: Int, observer: TrainingObserver = SilentObserver()) throws -> Trainer {
        let checkpoint = try TrainingState.read(from: path)
        var config = try XCTUnwrap(checkpoint.configuration)
        config.epochs = epochs
        config.workers = workers
        let trainer = try Trainer(configuration: config, data: try digits(), observer: observer, stateWriter: CheckpointWriter())
        try trainer.restore(from: checkpoint)
        return trainer
    }

    private func assertSameRun(_ a: Trainer, _ b: Trainer, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.engine.parameterValues.map(\.bitPattern), b.engine.parameterValues.map(\.bitPattern), "weights", file: file, line: line)
        XCTAssertEqual(a.engine.optimizerStateValues.map(\.bitPattern), b.engine.optimizerStateValues.map(\.bitPattern), "optimizer state", file: file, line: line)
        XCTAssertEqual(a.engine.step, b.engine.step, file: file, line: line)
        let metrics = { (t: Trainer) in t.progress.history.map { [$0.trainLoss, $0.validationLoss ?? -1, $0.validationAccuracy ?? -1] } }
        XCTAssertEqual(metrics(a), metrics(b), "per-epoch losses and accuracy", file: file, line: line)
    }

    func testTwoPlusTwoEpochsEqualsFour() throws {
        let whole = try Trainer(configuration: configuration(epochs: 4), data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try whole.run()

        let first = try Trainer(configuration: configuration(epochs: 2), data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try first.run()
        let second = try resume(try XCTUnwrap(first.configuration.checkpointPath), epochs: 4, workers: 2)
        _ = try second.run()
        assertSameRun(whole, second)
    }

    func testPlateauStateSurvivesResume() throws {
        let whole = try Trainer(configuration: configuration(epochs: 6, plateau: true), data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try whole.run()
        let rates = whole.progress.history.map(\.learningRate)
        XCTAssertLessThan(rates.last ?? 1, rates.first ?? 0, "the test needs the plateau schedule to reduce the rate: \(rates)")

        let first = try Trainer(configuration: configuration(epochs: 3, plateau: true), data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try first.run()
        XCTAssertNotNil(try TrainingState.read(from: try XCTUnwrap(first.configuration.checkpointPath)).progress?.plateau)
        let second = try resume(try XCTUnwrap(first.configuration.checkpointPath), epochs: 6, workers: 1)
        _ = try second.run()
        assertSameRun(whole, second)
        XCTAssertEqual(second.progress.history.map(\.learningRate), rates)
    }

    func testStopMidEpochAndResumeWithAnotherWorkerCount() throws {
        let whole = try Trainer(configuration: configuration(epochs: 3, workers: 1), data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try whole.run()

        let stopper = StopAtStep(step: 22)  // epoch 2, step 7 of 15
        let interrupted = try Trainer(configuration: configuration(epochs: 3, workers: 2), data: try digits(), observer: stopper, stateWriter: CheckpointWriter())
        XCTAssertThrowsError(try interrupted.run(stop: stopper.stop)) { error in
            guard case TrainingError.interrupted(_, let epoch, let step) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(epoch, 2)
            XCTAssertEqual(step, 22)
        }
        let path = try XCTUnwrap(interrupted.configuration.checkpointPath)
        XCTAssertEqual(try TrainingState.read(from: path).progress?.stepInEpoch, 7)
        let resumed = try resume(path, epochs: 3, workers: 3)
        _ = try resumed.run()
        assertSameRun(whole, resumed)
    }

    func testOptimizerStateRoundTripsForEveryOptimizer() throws {
        for name in OptimizerKind.allCases.map(\.rawValue) {
            let config = configuration(epochs: 1, optimizer: name)
            let trainer = try Trainer(configuration: config, data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter())
            _ = try trainer.run()
            let checkpoint = try TrainingState.read(from: try XCTUnwrap(config.checkpointPath))
            XCTAssertEqual(checkpoint.optimizerState.map(\.bitPattern), trainer.engine.optimizerStateValues.map(\.bitPattern), name)
            XCTAssertEqual(checkpoint.optimizerState.count, trainer.engine.optimizer.stateCount * trainer.model.architecture.parameterCount, name)
            XCTAssertEqual(checkpoint.configuration?.optimizer.kind.rawValue, name)
            XCTAssertEqual(checkpoint.fingerprint, trainer.fingerprint)
        }
    }

    func testDamagedCheckpointsAreRefused() throws {
        let config = configuration(epochs: 1)
        _ = try Trainer(configuration: config, data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter()).run()
        let path = try XCTUnwrap(config.checkpointPath)

        // One bit of one weight flipped in the file (bit rot): the checksum no longer matches.
        let damaged = folder.path("damaged.h5")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let checkpoint = try TrainingState.read(from: path)
        let weights = checkpoint.model.architecture.pytorchOrder(checkpoint.parameters).prefix(8)  // the file's order
        let pattern = weights.withUnsafeBytes { Data($0) }
        let location = try XCTUnwrap(bytes.range(of: pattern), "weights are stored uncompressed")
        bytes[location.lowerBound] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: damaged))
        XCTAssertThrowsError(try TrainingState.read(from: damaged)) { error in
            XCTAssertTrue("\(error)".contains("checksum"), "\(error)")
        }

        // A truncated file is not readable HDF5.
        let truncated = folder.path("truncated.h5")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        XCTAssertThrowsError(try TrainingState.read(from: truncated))
    }

    func testAFailedWriteLeavesTheExistingCheckpointIntact() throws {
        let config = configuration(epochs: 1)
        let trainer = try Trainer(configuration: config, data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try trainer.run()
        let path = try XCTUnwrap(config.checkpointPath)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // Occupy the temporary name with a folder, so creating the new file fails mid-save.
        let temporary = folder.path(".\(URL(fileURLWithPath: path).lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        XCTAssertThrowsError(try trainer.saveCheckpoint(to: path))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }
}
