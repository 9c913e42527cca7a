@testable import Checkpoint
@testable import Data
@testable import DataParallel
import Foundation
import HDF5
@testable import Training
import XCTest

final class CheckpointTests: XCTestCase {
    private let folder = TemporaryFolder()

    private func trainDigits(epochs: Int, workers: Int = 2, checkpoint: String? = nil) throws -> Trainer {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: options.train.file, x: "x_test", y: "y_test")
        options.normalize = .standardize
        var config = TrainingConfiguration()
        config.hidden = [32]
        config.epochs = epochs
        config.workers = workers
        config.checkpointPath = checkpoint
        let trainer = try Trainer(configuration: config, data: try DatasetLoader.load(options), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try trainer.run()
        return trainer
    }

    func testSaveLoadGivesTheSameWeightsAndPredictions() throws {
        let path = folder.path("model.h5")
        let trainer = try trainDigits(epochs: 3, checkpoint: path)
        let checkpoint = try TrainingState.read(from: path)
        XCTAssertEqual(checkpoint.parameters.map(\.bitPattern), trainer.engine.parameterValues.map(\.bitPattern))
        XCTAssertEqual(checkpoint.optimizerState.map(\.bitPattern), trainer.engine.optimizerStateValues.map(\.bitPattern))
        XCTAssertEqual(checkpoint.model.architecture, trainer.model.architecture)
        XCTAssertEqual(checkpoint.normalization, trainer.data.normalization)
        XCTAssertEqual(checkpoint.epoch, 3)
        XCTAssertEqual(checkpoint.step, 3 * trainer.stepsPerEpoch)
        XCTAssertEqual(checkpoint.configuration?.hidden, [32])

        // Reloaded data through the stored normalisation gives identical predictions and metrics.
        let samples = try checkpoint.loadSamples(DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_test", y: "y_test"))
        guard let validation = trainer.data.validation else { return XCTFail("no validation set") }
        XCTAssertEqual(samples.features, validation.features)
        let reloaded = Evaluation(predictor: checkpoint.makePredictor(workers: 1), samples: samples)
        XCTAssertEqual(reloaded, trainer.evaluate(validation))
        XCTAssertGreaterThan(reloaded.accuracy ?? 0, 0.9)
    }

    func testWritesAreAtomicAndRefuseForeignFiles() throws {
        let path = folder.path("model.h5")
        _ = try trainDigits(epochs: 1, checkpoint: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // A write that cannot complete (folder missing) leaves the good checkpoint alone.
        let checkpoint = try TrainingState.read(from: path)
        XCTAssertThrowsError(try checkpoint.write(to: folder.path("missing-folder/model.h5")))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), ["model.h5"], "no temporary files left")

        let foreign = try folder.hdf5("foreign.h5") { root in
            _ = try root.createDataset("x", shape: [1], values: [Float(1)])
        }
        XCTAssertThrowsError(try TrainingState.read(from: foreign)) { error in
            XCTAssertTrue("\(error)".contains("not an h5train checkpoint"), "\(error)")
        }
        let text = folder.path("text.h5")
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try TrainingState.read(from: text))
    }
}

