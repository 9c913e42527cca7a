@testable import Checkpoint
@testable import Data
@testable import DataParallel
import HDF5
@testable import NeuralNet
@testable import Optimizers
import Settings
@testable import Training
import XCTest

/// --diagnostics and --early-stop through the training loop on the bundled digits.
final class DiagnosticsTests: XCTestCase {
    private final class Recorder: TrainingObserver {
        var notes: [String] = []
        func note(_ text: SettingText) { notes.append(text.rendered(\.flag)) }
        func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {}
        func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {}
    }

    private func digits() throws -> LoadedData {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: options.train.file, x: "x_test", y: "y_test")
        return try DatasetLoader.load(options)
    }

    private func run(_ configure: (inout TrainingConfiguration) -> Void) throws -> (TrainingSummary, [String]) {
        var config = TrainingConfiguration()
        config.workers = 2
        configure(&config)
        let recorder = Recorder()
        let summary = try Trainer(configuration: config, data: try digits(), observer: recorder, stateWriter: CheckpointWriter()).run()
        return (summary, recorder.notes)
    }

    func testDeepSigmoidWithSmallInitIsReportedAsVanishing() throws {
        let (_, notes) = try run { config in
            config.hidden = Array(repeating: 32, count: 9)
            config.activation = .sigmoid
            config.initializer = .normal(mean: 0, std: 0.1)
            config.epochs = 1
            config.diagnostics = true
        }
        XCTAssertTrue(notes.contains { $0.contains("vanishing gradients") }, notes.joined(separator: "\n"))
        XCTAssertEqual(notes.filter { $0.hasPrefix("  10 32→10 softmax") }.count, 1, "one row per layer")
    }

    func testDeepReLUWithHeInitIsNot() throws {
        let (_, notes) = try run { config in
            config.hidden = Array(repeating: 32, count: 9)
            config.epochs = 1
            config.learningRate = 0.02
            config.diagnostics = true
        }
        XCTAssertFalse(notes.contains { $0.contains("vanishing") || $0.contains("exploding") }, notes.joined(separator: "\n"))
        XCTAssertTrue(notes.contains { $0.contains("dead ReLUs") })
    }

    func testEarlyStopEndsTheRunWhenValidationLossStalls() throws {
        let (summary, notes) = try run { config in
            config.hidden = [64]
            config.epochs = 200
            config.learningRate = 0.2
            config.earlyStopPatience = 2
        }
        XCTAssertLessThan(summary.epochs.count, 200)
        XCTAssertTrue(notes.contains { $0.hasPrefix("early stop") })
        // The last two epochs did not beat the best before them.
        let losses = summary.epochs.compactMap(\.validationLoss)
        let best = losses.dropLast(2).min() ?? 0
        XCTAssertTrue(losses.suffix(2).allSatisfy { $0 >= best })
    }
}
