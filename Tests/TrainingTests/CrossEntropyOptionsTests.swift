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

/// `--label-smoothing` and `--class-weights` from the configuration to the loss: validation (each
/// error names its flag), the model's loss and note, and checkpoints (stored, read back, and absent
/// from older files).
final class CrossEntropyOptionsTests: XCTestCase {
    private let folder = TemporaryFolder()

    private func configuration(smoothing: Float = 0, weights: [Float]? = nil, loss: Loss? = nil) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.hidden = [8]
        config.labelSmoothing = smoothing
        config.classWeights = weights
        config.loss = loss
        return config
    }

    private func assertInvalid(
        _ flag: String, _ parts: [String], file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws(TrainingError) -> Void
    ) {
        do {
            try body()
            XCTFail("expected an error naming \(flag)", file: file, line: line)
        } catch {
            guard case .invalidSetting(let setting, let text) = error else {
                return XCTFail("expected invalidSetting, got \(error)", file: file, line: line)
            }
            let message = text.rendered(\.flag)
            XCTAssertEqual(setting.flag, flag, message, file: file, line: line)
            for part in parts { XCTAssertTrue(message.contains(part), "“\(part)” not in: \(message)", file: file, line: line) }
        }
    }

    func testRangesAreValidated() {
        for bad: Float in [1, 1.5, -0.1, .nan, .infinity] {
            assertInvalid("--label-smoothing", ["[0, 1)"]) { () throws(TrainingError) in try configuration(smoothing: bad).validate() }
        }
        assertInvalid("--class-weights", ["-1"]) { () throws(TrainingError) in try configuration(weights: [1, -1, 2]).validate() }
        assertInvalid("--class-weights", ["nan"]) { () throws(TrainingError) in try configuration(weights: [1, .nan]).validate() }
        assertInvalid("--class-weights", ["inf"]) { () throws(TrainingError) in try configuration(weights: [.infinity, 1]).validate() }
        assertInvalid("--class-weights", ["all zeros"]) { () throws(TrainingError) in try configuration(weights: [0, 0, 0]).validate() }
        assertInvalid("--class-weights", ["none"]) { () throws(TrainingError) in try configuration(weights: []).validate() }
        XCTAssertNoThrow(try configuration(smoothing: 0.99, weights: [0, 1, 2.5]).validate())
    }

    func testWeightsMustBeOnePerClass() {
        assertInvalid("--class-weights", ["3 weights", "4 classes"]) { () throws(TrainingError) in
            _ = try ModelDescription(configuration: configuration(weights: [1, 2, 3]), inputs: 5, outputs: 4, task: .classification)
        }
        assertInvalid("--class-weights", ["1 weight ", "2 classes"]) { () throws(TrainingError) in
            _ = try ModelDescription(configuration: configuration(weights: [1]), inputs: 5, outputs: 2, task: .classification)
        }
    }

    func testOnlyCrossEntropyTakesThem() {
        assertInvalid("--class-weights", ["cross-entropy", "nll"]) { () throws(TrainingError) in
            _ = try ModelDescription(configuration: configuration(weights: [1, 2], loss: .negativeLogLikelihood), inputs: 5, outputs: 2, task: .classification)
        }
        assertInvalid("--label-smoothing", ["cross-entropy", "mse"]) { () throws(TrainingError) in
            _ = try ModelDescription(configuration: configuration(smoothing: 0.1), inputs: 5, outputs: 2, task: .regression)
        }
        // Cross-entropy forced on a regression: the error is about --loss, as without options.
        assertInvalid("--loss", ["regression"]) { () throws(TrainingError) in
            _ = try ModelDescription(configuration: configuration(smoothing: 0.1, weights: [1], loss: .softmaxCrossEntropy),
                                     inputs: 5, outputs: 1, task: .regression)
        }
    }

    func testTheModelsLossCarriesTheOptionsAndTheNoteShowsThem() throws {
        let model = try ModelDescription(configuration: configuration(smoothing: 0.1, weights: [1, 2, 0.5]), inputs: 5, outputs: 3,
                                         task: .classification)
        XCTAssertEqual(model.loss, .softmaxCrossEntropy(options: CrossEntropyOptions(labelSmoothing: 0.1, classWeights: [1, 2, 0.5])))
        XCTAssertEqual(model.architecture.layers.last?.activation, .softmax)
        let note = try XCTUnwrap(model.notes.first).description
        XCTAssertTrue(note.contains("loss cross_entropy (label smoothing 0.1, class weights [1.0, 2.0, 0.5]; batch mean Σ w_t·ℓ / Σ w_t)"), note)
        let plain = try ModelDescription(configuration: configuration(), inputs: 5, outputs: 3, task: .classification)
        XCTAssertEqual(plain.loss, .softmaxCrossEntropy)
        XCTAssertTrue(plain.notes[0].description.hasSuffix("loss cross_entropy"), plain.notes[0].description)
    }

    private func trainDigits(checkpoint: String) throws -> Trainer {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: options.train.file, x: "x_test", y: "y_test")
        var config = configuration(smoothing: 0.1, weights: [1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1])
        config.hidden = [16]
        config.epochs = 1
        config.workers = 2
        config.checkpointPath = checkpoint
        let trainer = try Trainer(configuration: config, data: try DatasetLoader.load(options), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try trainer.run()
        return trainer
    }

    /// Stored in /training, read back into the configuration and the model's loss, so `evaluate`
    /// measures the run's own objective; a file without the attributes reads as plain cross-entropy.
    func testCheckpointsStoreThemAndOlderFilesReadAsPlainCrossEntropy() throws {
        let path = folder.path("weighted.h5")
        let trainer = try trainDigits(checkpoint: path)
        let checkpoint = try TrainingState.read(from: path)
        XCTAssertEqual(checkpoint.configuration?.labelSmoothing, 0.1)
        XCTAssertEqual(checkpoint.configuration?.classWeights, [1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1])
        XCTAssertEqual(checkpoint.model.loss, trainer.model.loss)
        guard let validation = trainer.data.validation else { return XCTFail("no validation set") }
        let samples = try checkpoint.loadSamples(DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_test", y: "y_test"))
        XCTAssertEqual(Evaluation(predictor: checkpoint.makePredictor(workers: 3), samples: samples), trainer.evaluate(validation))

        do {  // closed at the end of the block; files written before these settings existed are version 1
            let file = try File.open(path, mode: .readWrite)
            try file.root.setAttribute("format_version", 1)
            let training = try file.group("training")
            try training.removeAttribute("label_smoothing")
            try training.removeAttribute("class_weights")
            try file.flush()
        }
        let older = try TrainingState.read(from: path)
        XCTAssertEqual(older.configuration?.labelSmoothing, 0)
        XCTAssertNil(older.configuration?.classWeights)
        XCTAssertEqual(older.model.loss, .softmaxCrossEntropy)
    }
}
