import Checkpoint
import Data
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import Settings
import Training
import XCTest

/// `--epochs 0`: the initialised model as a checkpoint; and per-layer activations in `inspect --json`.
final class InitialCheckpointTests: XCTestCase {
    private let folder = TemporaryFolder()

    private func digitsTrainer(epochs: Int, checkpoint: String?, hidden: [Int] = [16, 8],
                               activations: [Activation]? = [.tanh, .relu]) throws -> Trainer {
        var options = LoaderOptions(train: DataSource(file: TinyModels.digitsFile, x: "x_train", y: "y_train"))
        options.normalize = .standardize
        var config = TrainingConfiguration()
        config.hidden = hidden
        config.hiddenActivations = activations
        config.epochs = epochs
        config.workers = 2
        config.seed = 11
        config.checkpointPath = checkpoint
        let trainer = try Trainer(configuration: config, data: try DatasetLoader.load(options), observer: SilentObserver(), stateWriter: CheckpointWriter())
        trainer.dataOptions = options
        return trainer
    }

    func testZeroEpochsSavesTheInitialisedModel() throws {
        let path = folder.path("init.ckpt.h5")
        let summary = try digitsTrainer(epochs: 0, checkpoint: path).run()
        XCTAssertEqual(summary.epochs.count, 0)
        let checkpoint = try TrainingState.read(from: path)
        XCTAssertEqual(checkpoint.epoch, 0)
        XCTAssertEqual(checkpoint.step, 0)
        // The parameters a run of the same seed starts from, before its first step.
        let fresh = try digitsTrainer(epochs: 3, checkpoint: nil)
        XCTAssertEqual(checkpoint.parameters.map(\.bitPattern), fresh.engine.parameterValues.map(\.bitPattern))
        XCTAssertTrue(checkpoint.parameters.contains { $0 != 0 })
        XCTAssertTrue(checkpoint.optimizerState.allSatisfy { $0 == 0 })
        XCTAssertEqual(checkpoint.model.architecture.layers.map(\.activation), [.tanh, .relu, .softmax])
    }

    /// Resuming the epoch-0 checkpoint for 2 epochs gives exactly the 2-epoch run.
    func testResumingTheInitialCheckpointIsTheSameRun() throws {
        let path = folder.path("init.ckpt.h5")
        _ = try digitsTrainer(epochs: 0, checkpoint: path).run()
        let resumed = try digitsTrainer(epochs: 2, checkpoint: nil)
        try resumed.restore(from: try TrainingState.read(from: path))
        let continued = try resumed.run().finalParameters
        let direct = try digitsTrainer(epochs: 2, checkpoint: nil).run().finalParameters
        XCTAssertEqual(continued.map(\.bitPattern), direct.map(\.bitPattern))
    }

    func testZeroEpochsNeedsACheckpointAndNegativeIsRefused() {
        var config = TrainingConfiguration()
        config.epochs = 0
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertEqual((error as? TrainingError)?.rendered(\.flag), "--epochs: 0 trains nothing and saves the initial model; it needs --checkpoint PATH")
        }
        config.epochs = -1
        config.checkpointPath = folder.path("x.ckpt.h5")
        XCTAssertThrowsError(try config.validate()) { error in XCTAssertTrue("\(error)".contains("at least 0"), "\(error)") }
    }

    func testInspectJSONListsEachHiddenLayersActivation() throws {
        let path = folder.path("init.ckpt.h5")
        _ = try digitsTrainer(epochs: 0, checkpoint: path).run()
        let json = CheckpointSummary(try TrainingState.read(from: path), path: path).json.rendered()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let hyper = try XCTUnwrap(object["hyperparameters"] as? [String: Any])
        XCTAssertEqual(hyper["hidden_activations"] as? [String], ["tanh", "relu"])
        XCTAssertEqual(hyper["hidden"] as? [Int], [16, 8])

        let uniform = folder.path("uniform.ckpt.h5")
        _ = try digitsTrainer(epochs: 0, checkpoint: uniform, activations: nil).run()
        let plain = CheckpointSummary(try TrainingState.read(from: uniform), path: uniform).json.rendered()
        let hyperPlain = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(plain.utf8)) as? [String: Any])?["hyperparameters"] as? [String: Any])
        XCTAssertEqual(hyperPlain["hidden_activations"] as? [String], ["relu", "relu"])
    }
}
