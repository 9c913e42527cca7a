@testable import Checkpoint
@testable import DataParallel
import Foundation
import HDF5
@testable import NeuralNet
@testable import Optimizers
import Settings
@testable import Training
import XCTest

final class CheckpointSummaryTests: XCTestCase {
    private let folder = TemporaryFolder()

    /// A 64→16→10 digits model after 2 epochs of 12 steps, read back from its file.
    private func digitsSummary() throws -> (CheckpointSummary, Trainer) {
        let path = folder.path("digits.ckpt.h5")
        let trainer = try TinyModels.digits(checkpoint: path) { config in
            config.seed = 7
            config.optimizer.nesterov = true
        }
        return (CheckpointSummary(try TrainingState.read(from: path), path: path), trainer)
    }

    /// Parsed with JSONSerialization. Its number parser on Linux (swift-corelibs-foundation) can be one
    /// ulp off for 17-digit values, so reals from it are compared with `XCTAssertClose`; `JSONDecoder`,
    /// which is exact, checks the rendered text itself in `testRealsRoundTripExactly`.
    private func parse(_ summary: CheckpointSummary) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(summary.json.rendered().utf8))
        return try XCTUnwrap(object as? [String: Any])
    }

    func testTableShowsTheKeyFacts() throws {
        let (summary, trainer) = try digitsSummary()
        let text = summary.text(naming: \.flag)
        let history = trainer.progress.history
        XCTAssertEqual(history.count, 2)
        let last = try XCTUnwrap(history.last)
        let lines = [
            "checkpoint      \(summary.path)",
            "format          h5train-checkpoint version 2",
            "checksum        \(summary.checksum) OK (parameters and optimizer state verified)",
            "task            classification, loss cross_entropy",
            "architecture    64 → 16 relu → 10 softmax",
            "  dense_0       64→16 relu, 1040 parameters",
            "  dense_1       16→10 softmax, 170 parameters",
            "parameters      1210 (optimizer state: 1 buffer of as many values)",
            "position        epoch 2 of 2 completed, global step 24",
            "optimizer       sgd momentum=0.9 dampening=0.0 nesterov=true weight_decay=0.0, lr 0.05",
            "schedule        constant",
            "batch           128 rows, 12 steps per epoch",
            "shard size      64 rows",
            "seed            7",
            "workers         2 (does not change the result)",
            "normalization   standardize: (x − mean) / std for 64 features (statistics stored)",
            "train data      \(TinyModels.digitsFile) x_train/y_train",
            "validation      \(TinyModels.digitsFile) x_test/y_test",
            "fingerprint     1437 rows × 64 features, 1 target column, hash \(String(trainer.fingerprint.hash, radix: 16))",
        ]
        for line in lines { XCTAssertTrue(text.contains(line + "\n"), "missing '\(line)' in\n\(text)") }
        let accuracy = String(format: "%.2f", (last.validationAccuracy ?? 0) * 100)
        XCTAssertTrue(text.contains("last epoch      epoch 2 (step 24)  train_loss \(String(format: "%.6g", last.trainLoss))"), text)
        XCTAssertTrue(text.contains("val_acc \(accuracy)%"), text)
        let bestLoss = try XCTUnwrap(history.compactMap(\.validationLoss).min())
        let bestEpoch = try XCTUnwrap(history.first { $0.validationLoss == bestLoss }?.epoch)
        XCTAssertTrue(text.contains("best val_loss   \(String(format: "%.6g", bestLoss)) (epoch \(bestEpoch))"), text)
        XCTAssertFalse(text.contains("mid-epoch"), text)
    }

    func testJSONParsesWithTheSameValues() throws {
        let (summary, trainer) = try digitsSummary()
        let json = try parse(summary)
        XCTAssertEqual(json["format"] as? String, "h5train-checkpoint")
        XCTAssertEqual(json["format_version"] as? Int, 2)
        XCTAssertEqual(json["checksum_ok"] as? Bool, true)
        XCTAssertEqual(json["task"] as? String, "classification")
        XCTAssertEqual(json["parameter_count"] as? Int, 1210)
        XCTAssertEqual(json["epoch"] as? Int, 2)
        XCTAssertEqual(json["step"] as? Int, 24)
        XCTAssertEqual(json["step_in_epoch"] as? Int, 0)
        XCTAssertEqual(json["steps_per_epoch"] as? Int, 12)
        let layers = try XCTUnwrap((json["architecture"] as? [String: Any])?["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.compactMap { $0["activation"] as? String }, ["relu", "softmax"])
        XCTAssertEqual(layers.compactMap { $0["outputs"] as? Int }, [16, 10])

        let hyper = try XCTUnwrap(json["hyperparameters"] as? [String: Any])
        XCTAssertEqual(hyper["batch_size"] as? Int, 128)
        XCTAssertEqual(hyper["learning_rate"] as? Double, 0.05)
        XCTAssertEqual(hyper["seed"] as? Int, 7)
        XCTAssertEqual(hyper["workers"] as? Int, 2)
        XCTAssertEqual(hyper["shard_size"] as? Int, 64)
        let optimizer = try XCTUnwrap(hyper["optimizer"] as? [String: Any])
        XCTAssertEqual(optimizer["name"] as? String, "sgd")
        XCTAssertEqual(optimizer["momentum"] as? Double, 0.9)
        XCTAssertEqual(optimizer["nesterov"] as? Bool, true)
        XCTAssertEqual((hyper["schedule"] as? [String: Any])?["name"] as? String, "constant")
        XCTAssertEqual((json["normalization"] as? [String: Any])?["kind"] as? String, "standardize")

        let history = trainer.progress.history
        let last = try XCTUnwrap(json["last_epoch"] as? [String: Any])
        XCTAssertClose(last["val_loss"], history.last?.validationLoss)
        XCTAssertClose(last["val_accuracy"], history.last?.validationAccuracy)
        XCTAssertTrue(last["val_mae"] is NSNull)
        let best = try XCTUnwrap(json["best_validation"] as? [String: Any])
        XCTAssertClose((best["loss"] as? [String: Any])?["value"], history.compactMap(\.validationLoss).min())
        XCTAssertClose((best["accuracy"] as? [String: Any])?["value"], history.compactMap(\.validationAccuracy).max())
        let data = try XCTUnwrap(json["data"] as? [String: Any])
        XCTAssertEqual((data["train"] as? [String: Any])?["file"] as? String, TinyModels.digitsFile)
        XCTAssertEqual((data["validation"] as? [String: Any])?["x"] as? String, "x_test")
        let fingerprint = try XCTUnwrap(data["fingerprint"] as? [String: Any])
        XCTAssertEqual(fingerprint["hash"] as? String, String(trainer.fingerprint.hash, radix: 16))
        XCTAssertEqual(fingerprint["rows"] as? Int, 1437)

        // Keys come in a fixed, logical order.
        guard case .object(let members) = summary.json else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.0), ["path", "format", "format_version", "checksum", "checksum_ok", "kernels", "task", "loss",
                                          "architecture", "parameter_count", "optimizer_state_buffers", "epoch", "step",
                                          "step_in_epoch", "steps_per_epoch", "hyperparameters", "normalization",
                                          "last_epoch", "best_validation", "early_stopping", "data"])
    }

    func testRealsRoundTripExactly() throws {
        struct Last: Decodable { var trainLoss: Double; var valLoss: Double; var valAccuracy: Double }
        struct Summary: Decodable { var lastEpoch: Last }
        let (summary, trainer) = try digitsSummary()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let last = try decoder.decode(Summary.self, from: Data(summary.json.rendered().utf8)).lastEpoch
        let expected = try XCTUnwrap(trainer.progress.history.last)
        XCTAssertEqual(last.trainLoss.bitPattern, expected.trainLoss.bitPattern)
        XCTAssertEqual(last.valLoss.bitPattern, expected.validationLoss?.bitPattern)
        XCTAssertEqual(last.valAccuracy.bitPattern, expected.validationAccuracy?.bitPattern)
    }

    func testMidEpochPositionAndBestOfHistory() throws {
        var (summary, _) = try digitsSummary()
        summary.checkpoint.progress?.stepInEpoch = 5
        summary.checkpoint.step = 29
        func metrics(_ epoch: Int, _ loss: Double, _ accuracy: Double) -> EpochMetrics {
            EpochMetrics(epoch: epoch, step: epoch * 12, trainLoss: 1, validationLoss: loss, validationAccuracy: accuracy,
                         validationMAE: nil, learningRate: 0.05, samplesPerSecond: 1, seconds: 1)
        }
        summary.checkpoint.progress?.history = [metrics(1, 0.5, 0.8), metrics(2, 0.3, 0.85), metrics(3, 0.3, 0.9), metrics(4, 0.4, 0.9)]
        XCTAssertEqual(summary.bestValidationLoss, .init(value: 0.3, epoch: 2))
        XCTAssertEqual(summary.bestValidationAccuracy, .init(value: 0.9, epoch: 3))
        XCTAssertNil(summary.bestValidationMAE)
        XCTAssertTrue(summary.text(naming: \.flag).contains("global step 29; mid-epoch: step 5 of 12 in epoch 3\n"), summary.text(naming: \.flag))
        XCTAssertTrue(summary.text(naming: \.flag).contains("best val_acc    90.00% (epoch 3)\n"), summary.text(naming: \.flag))
        let json = try parse(summary)
        XCTAssertEqual(json["step_in_epoch"] as? Int, 5)
        XCTAssertEqual((json["last_epoch"] as? [String: Any])?["epoch"] as? Int, 4)
    }

    /// A checkpoint made in code, without settings, progress or data: nulls, and no crash.
    func testBareCheckpoint() throws {
        let architecture = NetworkArchitecture(layers: [LayerSpec(inputs: 2, outputs: 3, activation: .identity)])
        let model = ModelDescription(architecture: architecture, loss: .meanSquaredError, task: .regression, initializers: [.zeros])
        let checkpoint = TrainingState(model: model, normalization: .scale(factor: 0.5), parameters: [Float](repeating: 1, count: 9),
                                    optimizerState: [], epoch: 0, step: 0, configuration: nil)
        let summary = CheckpointSummary(checkpoint, path: "bare \"model\".h5")
        let json = try parse(summary)
        XCTAssertEqual(json["path"] as? String, "bare \"model\".h5")
        XCTAssertTrue(json["hyperparameters"] is NSNull)
        XCTAssertTrue(json["last_epoch"] is NSNull)
        XCTAssertEqual(json["steps_per_epoch"] as? NSNull, NSNull())
        XCTAssertEqual((json["normalization"] as? [String: Any])?["factor"] as? Double, 0.5)
        XCTAssertEqual(json["optimizer_state_buffers"] as? Int, 0)
        let lines = summary.text(naming: \.flag).split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        XCTAssertEqual(lines, ["checkpoint bare \"model\".h5", "format h5train-checkpoint version 2",
                               "checksum \(summary.checksum) OK (parameters and optimizer state verified)",
                               "task regression, loss mse", "architecture 2 → 3 identity", "dense_0 2→3 identity, 9 parameters",
                               "parameters 9", "position epoch 0 completed, global step 0", "normalization scale: x × 0.5"])
    }

    func testOptimizerFieldsResolveDefaults() throws {
        var settings = OptimizerSettings()
        settings.kind = .adamw
        let (summary, _) = try digitsSummary()
        var changed = summary
        changed.checkpoint.configuration?.optimizer = settings
        let optimizer = try XCTUnwrap((try parse(changed)["hyperparameters"] as? [String: Any])?["optimizer"] as? [String: Any])
        XCTAssertEqual(optimizer["beta1"] as? Double, 0.9)
        XCTAssertEqual(optimizer["beta2"] as? Double, 0.999)
        XCTAssertEqual(optimizer["eps"] as? Double, 1e-8)
        XCTAssertEqual(optimizer["weight_decay"] as? Double, 0.01)
        XCTAssertNil(optimizer["momentum"])
    }

    func testJSONTextEscapesAndNonFiniteNumbers() throws {
        let value = OrderedJSON.object([("text", .string("a \"quote\", a \\ and\na line\u{1}")), ("nan", .number(.nan)),
                                        ("list", .array([.int(1), .number(2.5), .bool(false), .null])),
                                        ("big", .unsigned(UInt64.max)), ("empty", .object([]))])
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(value.rendered().utf8)) as? [String: Any])
        XCTAssertEqual(parsed["text"] as? String, "a \"quote\", a \\ and\na line\u{1}")
        XCTAssertTrue(parsed["nan"] is NSNull)
        XCTAssertEqual((parsed["list"] as? [Any])?.count, 4)
        XCTAssertEqual(value["big"]?.rendered(), "18446744073709551615")
        XCTAssertEqual(value["empty"]?.rendered(), "{}")
    }
}

/// `actual` (a number from JSONSerialization) equals `expected` to within a few ulps.
private func XCTAssertClose(_ actual: Any?, _ expected: Double?, file: StaticString = #filePath, line: UInt = #line) {
    guard let value = actual as? Double, let expected else {
        return XCTFail("\(String(describing: actual)) vs \(String(describing: expected))", file: file, line: line)
    }
    XCTAssertEqual(value, expected, accuracy: 4 * expected.ulp, file: file, line: line)
}
