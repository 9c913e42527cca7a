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

/// Small models trained on the bundled data, written as checkpoints, for the prediction, export and
/// summary tests.
enum TinyModels {
    static let digitsFile = datasetsFolder.appendingPathComponent("digits.h5").path
    static let diabetesFile = datasetsFolder.appendingPathComponent("diabetes.h5").path

    /// Trains 64→hidden→10 on digits (standardised, validated on x_test) and saves it to `checkpoint`.
    static func digits(checkpoint: String, hidden: [Int] = [16], epochs: Int = 2, loss: Loss? = nil,
                       configure: (inout TrainingConfiguration) -> Void = { _ in }) throws -> Trainer {
        var options = LoaderOptions(train: DataSource(file: digitsFile, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: digitsFile, x: "x_test", y: "y_test")
        options.normalize = .standardize
        var config = TrainingConfiguration()
        config.hidden = hidden
        config.epochs = epochs
        config.loss = loss
        config.workers = 2
        config.checkpointPath = checkpoint
        configure(&config)
        return try train(config, options)
    }

    /// Trains 10→16→1 on diabetes (a regression; small rate, the targets are in the hundreds).
    static func diabetes(checkpoint: String) throws -> Trainer {
        var options = LoaderOptions(train: DataSource(file: diabetesFile, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: diabetesFile, x: "x_test", y: "y_test")
        options.normalize = .standardize
        var config = TrainingConfiguration()
        config.hidden = [16]
        config.epochs = 3
        config.batchSize = 32
        config.learningRate = 1e-4
        config.workers = 2
        config.checkpointPath = checkpoint
        return try train(config, options)
    }

    private static func train(_ config: TrainingConfiguration, _ options: LoaderOptions) throws -> Trainer {
        let trainer = try Trainer(configuration: config, data: try DatasetLoader.load(options), observer: SilentObserver(), stateWriter: CheckpointWriter())
        trainer.dataOptions = options
        _ = try trainer.run()
        return trainer
    }

    /// The engine's outputs for every row of `samples`, in one call.
    static func engineOutputs(_ checkpoint: TrainingState, _ samples: SampleSet, workers: Int = 2) -> [Float] {
        var outputs = [Float](repeating: 0, count: samples.rows * checkpoint.model.architecture.outputSize)
        checkpoint.makePredictor(workers: workers).predict(input: samples.features, rows: samples.rows, into: &outputs)
        return outputs
    }
}

final class PredictionTests: XCTestCase {
    private let folder = TemporaryFolder()

    func testProbabilitiesAreTheEnginesOutputsAndClassesTheirArgmax() throws {
        let path = folder.path("digits.ckpt.h5")
        _ = try TinyModels.digits(checkpoint: path)
        let checkpoint = try TrainingState.read(from: path)
        let output = try checkpoint.predict(file: TinyModels.digitsFile, dataset: "x_test",
                                            predictor: checkpoint.makePredictor(workers: 2), chunkRows: 4096)
        XCTAssertEqual(output.task, .classification)
        XCTAssertEqual(output.rows, 360)
        XCTAssertEqual(output.width, 10)

        // The same rows through loadSamples (stored normalisation) and the engine: bit-identical.
        let samples = try checkpoint.loadSamples(DataSource(file: TinyModels.digitsFile, x: "x_test", y: "y_test"))
        let expected = TinyModels.engineOutputs(checkpoint, samples)
        XCTAssertEqual(output.values.map(\.bitPattern), expected.map(\.bitPattern))

        for r in 0..<output.rows {
            let row = output.values[(r * 10)..<((r + 1) * 10)]
            XCTAssertEqual(Double(row.reduce(0, +)), 1, accuracy: 1e-5, "row \(r)")
            XCTAssertTrue(row.allSatisfy { $0 >= 0 && $0 <= 1 }, "row \(r)")
            let best = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) } ?? -1
            XCTAssertEqual(Int(output.classes[r]), best - r * 10, "row \(r)")
        }
        // The classes give exactly Evaluation's accuracy on the labelled rows.
        let correct = zip(output.classes, samples.targets).filter { Float($0) == $1 }.count
        let evaluation = Evaluation(predictor: checkpoint.makePredictor(workers: 1), samples: samples)
        XCTAssertEqual(Double(correct) / 360, try XCTUnwrap(evaluation.accuracy))
        XCTAssertGreaterThan(evaluation.accuracy ?? 0, 0.8, "a trained model, not noise")
    }

    func testChunksAreWholeEvaluationBlocks() {
        XCTAssertEqual(Predictor.chunkRows, 256)
        XCTAssertEqual([0, 1, 7, 256, 257, 4096, 5000].map(TrainingState.alignedChunkRows), [256, 256, 256, 256, 512, 4096, 5120])
        XCTAssertEqual(TrainingState.alignedChunkRows(Int.max), Int.max / 256 * 256)
    }

    func testChunkSizeAndWorkersDoNotChangeTheResult() throws {
        let path = folder.path("digits.ckpt.h5")
        _ = try TinyModels.digits(checkpoint: path)
        let checkpoint = try TrainingState.read(from: path)
        let reference = try checkpoint.predict(file: TinyModels.digitsFile, dataset: "x_test",
                                               predictor: checkpoint.makePredictor(workers: 1), chunkRows: 360)
        // 7 and 100 do not divide 360; 257 is just over the engine's 256-row chunk.
        for (chunk, workers) in [(7, 2), (100, 3), (257, 2), (1, 1), (5000, 4)] {
            let output = try checkpoint.predict(file: TinyModels.digitsFile, dataset: "x_test",
                                                predictor: checkpoint.makePredictor(workers: workers), chunkRows: chunk)
            XCTAssertEqual(output.values.map(\.bitPattern), reference.values.map(\.bitPattern), "chunk \(chunk), workers \(workers)")
            XCTAssertEqual(output.classes, reference.classes)
        }
    }

    func testLogSoftmaxOutputsBecomeProbabilities() throws {
        let path = folder.path("nll.ckpt.h5")
        _ = try TinyModels.digits(checkpoint: path, loss: .negativeLogLikelihood)
        let checkpoint = try TrainingState.read(from: path)
        XCTAssertEqual(checkpoint.model.architecture.layers.last?.activation, .logSoftmax)
        let output = try checkpoint.predict(file: TinyModels.digitsFile, dataset: "x_test",
                                            predictor: checkpoint.makePredictor(workers: 2), chunkRows: 50)
        let logProbabilities = TinyModels.engineOutputs(
            checkpoint, try checkpoint.loadSamples(DataSource(file: TinyModels.digitsFile, x: "x_test", y: "")))
        XCTAssertEqual(output.values, logProbabilities.map { exp($0) })
        for r in 0..<output.rows {
            XCTAssertEqual(output.values[(r * 10)..<((r + 1) * 10)].reduce(0, +), 1, accuracy: 1e-5)
        }
    }

    func testRegressionPredictionsHaveOneColumnPerTarget() throws {
        let path = folder.path("diabetes.ckpt.h5")
        _ = try TinyModels.diabetes(checkpoint: path)
        let checkpoint = try TrainingState.read(from: path)
        let output = try checkpoint.predict(file: TinyModels.diabetesFile, dataset: "x_test",
                                            predictor: checkpoint.makePredictor(workers: 2), chunkRows: 10)
        XCTAssertEqual(output.task, .regression)
        XCTAssertEqual(output.rows, 89)
        XCTAssertEqual(output.width, 1)
        XCTAssertEqual(output.classes, [])
        let samples = try checkpoint.loadSamples(DataSource(file: TinyModels.diabetesFile, x: "x_test", y: "y_test"))
        XCTAssertEqual(output.values.map(\.bitPattern), TinyModels.engineOutputs(checkpoint, samples).map(\.bitPattern))
        // Evaluation's mean squared error, recomputed from the predictions.
        let mse = zip(output.values, samples.targets).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / 89
        let evaluation = Evaluation(predictor: checkpoint.makePredictor(workers: 1), samples: samples)
        XCTAssertEqual(mse, try XCTUnwrap(evaluation.meanSquaredError), accuracy: 1e-9 * mse)
    }

    func testJobWritesTheOutputFile() throws {
        let path = folder.path("digits.ckpt.h5"), out = folder.path("pred.h5")
        _ = try TinyModels.digits(checkpoint: path)
        let job = PredictionJob(checkpointPath: path, dataFile: TinyModels.digitsFile, dataset: "x_test", outputPath: out,
                                workers: 2, chunkRows: 64)
        let output = try job.run()
        let file = try File.open(out)
        let probabilities = try file.dataset("probabilities"), classes = try file.dataset("classes")
        XCTAssertEqual(probabilities.shape, [360, 10])
        XCTAssertEqual(probabilities.elementType, .float(bytes: 4))
        XCTAssertEqual(classes.shape, [360])
        XCTAssertEqual(classes.elementType, .signedInteger(bytes: 8))
        XCTAssertEqual(try probabilities.read(Float.self), output.values)
        XCTAssertEqual(try classes.read(Int64.self), output.classes)
        XCTAssertFalse(file.contains("predictions"))
        let root = try file.root
        XCTAssertEqual(try root.stringAttribute("checkpoint"), path)
        XCTAssertEqual(try root.stringAttribute("source_file"), TinyModels.digitsFile)
        XCTAssertEqual(try root.stringAttribute("source_dataset"), "x_test")
        XCTAssertEqual(try root.stringAttribute("task"), "classification")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasSuffix(".tmp") }, [])
    }

    func testRefusesToOverwriteTheInputOrTheCheckpoint() throws {
        let path = folder.path("digits.ckpt.h5")
        _ = try TinyModels.digits(checkpoint: path, epochs: 1)
        let input = folder.path("input.h5")
        try FileManager.default.copyItem(atPath: TinyModels.digitsFile, toPath: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let link = folder.path("link.h5")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: input)
        // The same file under three spellings, and the checkpoint.
        for (out, what) in [(input, "the input data file"), (folder.url.path + "/./input.h5", "the input data file"),
                            (link, "the input data file"), (path, "the checkpoint")] {
            let job = PredictionJob(checkpointPath: path, dataFile: input, dataset: "x_test", outputPath: out)
            XCTAssertThrowsError(try job.run(), out) { error in
                guard case .invalidSetting(let setting, let text) = error as? TrainingError else { return XCTFail("\(error)") }
                let message = text.description
                XCTAssertEqual(setting.flag, "--out")
                XCTAssertTrue(message.contains("is \(what); refusing to overwrite it"), message)
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before)
        XCTAssertNoThrow(try TrainingState.read(from: path))
    }

    func testClearErrorsForBadInputs() throws {
        let path = folder.path("digits.ckpt.h5")
        _ = try TinyModels.digits(checkpoint: path, epochs: 1)
        func failure(_ job: PredictionJob) -> TrainingError? {
            do {
                _ = try job.run()
                return nil
            } catch {
                return error
            }
        }
        let out = folder.path("out.h5")
        let wrongWidth = failure(PredictionJob(checkpointPath: path, dataFile: TinyModels.diabetesFile, dataset: "x_test", outputPath: out))
        XCTAssertEqual(wrongWidth, .invalidData(file: TinyModels.diabetesFile, dataset: "x_test",
                                                message: "has 10 features per row (shape [89, 10]); the checkpoint's model takes 64"))
        let missing = failure(PredictionJob(checkpointPath: path, dataFile: TinyModels.digitsFile, dataset: "x_nope", outputPath: out))
        XCTAssertTrue(missing?.description.contains("no dataset '/x_nope' (datasets in the file: /x_test, /x_train, /y_test, /y_train)") ?? false,
                      "\(String(describing: missing))")
        let zero = failure(PredictionJob(checkpointPath: path, dataFile: TinyModels.digitsFile, dataset: "x_test", outputPath: out, chunkRows: 0))
        XCTAssertEqual(zero, .invalidSetting(.batchSize, "must be at least 1 row, got 0"))
        let noFolder = failure(PredictionJob(checkpointPath: path, dataFile: TinyModels.digitsFile, dataset: "x_test",
                                             outputPath: folder.path("missing/out.h5")))
        XCTAssertEqual(noFolder?.exitStatus, 64)
        let noCheckpoint = failure(PredictionJob(checkpointPath: folder.path("none.h5"), dataFile: TinyModels.digitsFile,
                                                 dataset: "x_test", outputPath: out))
        XCTAssertEqual(noCheckpoint?.description, "checkpoint \(folder.path("none.h5")): no such file")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output after a failure")
    }
}
