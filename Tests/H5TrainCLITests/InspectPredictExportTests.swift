import Checkpoint
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import Training
import XCTest

/// `h5train inspect`, `predict` and `export --keras` through the binary, on tiny models trained first.
final class InspectPredictExportTests: XCTestCase {
    private var folder: TemporaryDirectory!

    override func setUpWithError() throws {
        folder = try TemporaryDirectory()
    }

    override func tearDown() {
        folder = nil
    }

    /// Trains 64→16→10 on digits for 2 epochs (12 steps each), validated on x_test.
    private func trainDigits() throws -> String {
        let checkpoint = folder.file("digits.ckpt.h5")
        let train = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--val-x", "x_test", "--val-y", "y_test",
                                 "--hidden", "16", "--epochs", "2", "--workers", "2", "--seed", "3", "--normalize", "standardize",
                                 "--checkpoint", checkpoint, "--quiet"])
        XCTAssertSuccess(train)
        return checkpoint
    }

    private func evaluate(_ checkpoint: String, _ data: String) throws -> String {
        let result = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", data])
        XCTAssertSuccess(result)
        return result.stdout
    }

    /// The value after `name` in a line of `name value` pairs separated by spaces.
    private func field(_ name: String, in line: String) -> String? {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        return words.firstIndex(of: name).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
    }

    func testInspectTableAndJSON() throws {
        let checkpoint = try trainDigits()
        let table = try CLI.run(["inspect", checkpoint])
        XCTAssertSuccess(table)
        for fact in ["format          h5train-checkpoint version 2", "OK (parameters and optimizer state verified)",
                     "task            classification, loss cross_entropy", "architecture    64 → 16 relu → 10 softmax",
                     "parameters      1210", "position        epoch 2 of 2 completed, global step 24",
                     "optimizer       sgd momentum=0.9", "batch           128 rows, 12 steps per epoch", "seed            3",
                     "workers         2", "normalization   standardize", "best val_loss", "best val_acc",
                     "train data      \(CLI.dataset("digits.h5")) x_train/y_train", "fingerprint     1437 rows × 64 features"] {
            XCTAssertTrue(table.stdout.contains(fact), "missing '\(fact)':\n\(table.stdout)")
        }

        let result = try CLI.run(["inspect", checkpoint, "--json"])
        XCTAssertSuccess(result)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["path"] as? String, checkpoint)
        XCTAssertEqual(json["checksum_ok"] as? Bool, true)
        XCTAssertEqual(json["epoch"] as? Int, 2)
        XCTAssertEqual(json["step"] as? Int, 24)
        XCTAssertEqual(json["parameter_count"] as? Int, 1210)
        let hyper = try XCTUnwrap(json["hyperparameters"] as? [String: Any])
        XCTAssertEqual(hyper["seed"] as? Int, 3)
        XCTAssertEqual(hyper["workers"] as? Int, 2)
        XCTAssertEqual((hyper["optimizer"] as? [String: Any])?["momentum"] as? Double, 0.9)
        // The last epoch's validation metrics are what evaluate measures on the same data. (JSONDecoder:
        // Linux's JSONSerialization can misread the 17th digit.)
        struct Last: Decodable { var valLoss: Double; var valAccuracy: Double }
        struct Summary: Decodable { var lastEpoch: Last }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let last = try decoder.decode(Summary.self, from: Data(result.stdout.utf8)).lastEpoch
        let line = try evaluate(checkpoint, CLI.dataset("digits.h5"))
        XCTAssertEqual(field("loss", in: line), "\(last.valLoss)", line)
        XCTAssertEqual(field("accuracy", in: line), String(format: "%.2f%%", last.valAccuracy * 100), line)
    }

    func testPredictClassificationMatchesEvaluateAndIgnoresChunking() throws {
        let checkpoint = try trainDigits()
        let out = folder.file("pred.h5"), again = folder.file("pred-7.h5")
        let predict = try CLI.run(["predict", "--checkpoint", checkpoint, "--data", CLI.dataset("digits.h5"), "--x", "x_test",
                                   "--out", out, "--batch-size", "100", "--workers", "3"])
        XCTAssertSuccess(predict)
        XCTAssertTrue(predict.stdout.contains("360 rows → \(out): probabilities (360, 10) and classes (360)"), predict.stdout)
        let chunked = try CLI.run(["predict", "--checkpoint", checkpoint, "--data", CLI.dataset("digits.h5"),
                                   "--out", again, "--batch-size", "7", "--workers", "1"])
        XCTAssertSuccess(chunked)

        let file = try File.open(out), other = try File.open(again)
        let probabilities = try file.dataset("probabilities").read(Float.self)
        let classes = try file.dataset("classes").read(Int64.self)
        XCTAssertEqual(try file.dataset("probabilities").shape, [360, 10])
        XCTAssertEqual(try other.dataset("probabilities").read(Float.self).map(\.bitPattern), probabilities.map(\.bitPattern))
        XCTAssertEqual(try other.dataset("classes").read(Int64.self), classes)
        for r in 0..<360 {
            let row = Array(probabilities[(r * 10)..<((r + 1) * 10)])
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(Int(classes[r]), row.firstIndex(of: row.max() ?? 0), "row \(r)")
        }
        XCTAssertEqual(try file.root.stringAttribute("checkpoint"), checkpoint)
        XCTAssertEqual(try file.root.stringAttribute("source_dataset"), "x_test")

        // The classes' accuracy against y_test is evaluate's accuracy.
        let labels = try File.open(CLI.dataset("digits.h5")).dataset("y_test").read(Int64.self)
        let accuracy = Double(zip(classes, labels).filter { $0 == $1 }.count) / 360
        let line = try evaluate(checkpoint, CLI.dataset("digits.h5"))
        XCTAssertEqual(field("accuracy", in: line), String(format: "%.2f%%", accuracy * 100), line)
    }

    func testPredictRegression() throws {
        let checkpoint = folder.file("diabetes.ckpt.h5"), out = folder.file("pred.h5")
        XCTAssertSuccess(try CLI.run(["train", "--data", CLI.dataset("diabetes.h5"), "--normalize", "standardize", "--hidden", "16",
                                      "--epochs", "3", "--batch-size", "32", "--lr", "0.0001", "--checkpoint", checkpoint, "--quiet"]))
        let predict = try CLI.run(["predict", "--checkpoint", checkpoint, "--data", CLI.dataset("diabetes.h5"), "--out", out,
                                   "--batch-size", "10"])
        XCTAssertSuccess(predict)
        XCTAssertTrue(predict.stdout.contains("89 rows → \(out): predictions (89, 1)"), predict.stdout)
        let file = try File.open(out)
        XCTAssertEqual(try file.dataset("predictions").shape, [89, 1])
        XCTAssertFalse(file.contains("probabilities"))
        XCTAssertFalse(file.contains("classes"))
        // Their mean squared error against y_test is what evaluate reports.
        let predictions = try file.dataset("predictions").read(Float.self)
        let targets = try File.open(CLI.dataset("diabetes.h5")).dataset("y_test").read(Float.self)
        let mse = zip(predictions, targets).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / 89
        let reported = try XCTUnwrap(field("mse", in: try evaluate(checkpoint, CLI.dataset("diabetes.h5"))).flatMap(Double.init))
        XCTAssertEqual(mse, reported, accuracy: 1e-9 * reported)
    }

    func testPredictRefusesToOverwriteItsInputs() throws {
        let checkpoint = try trainDigits()
        let input = folder.file("input.h5")
        try FileManager.default.copyItem(atPath: CLI.dataset("digits.h5"), toPath: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input)), checkpointBefore = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        for out in [input, checkpoint] {
            let result = try CLI.run(["predict", "--checkpoint", checkpoint, "--data", input, "--out", out])
            XCTAssertNoCrash(result)
            XCTAssertEqual(result.status, 64, result.description)
            XCTAssertEqual(result.stderrLines.count, 1, result.description)
            XCTAssertTrue(result.stderr.hasPrefix("h5train: error: --out: \(out) is the "), result.stderr)
            XCTAssertTrue(result.stderr.contains("refusing to overwrite it"), result.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), checkpointBefore)
        let zero = try CLI.run(["predict", "--checkpoint", checkpoint, "--data", input, "--out", folder.file("p.h5"), "--batch-size", "0"])
        XCTAssertEqual(zero.status, 64, zero.description)
        XCTAssertTrue(zero.stderr.contains("--batch-size: must be at least 1 row, got 0"), zero.stderr)
    }

    func testExportKerasLayout() throws {
        let checkpoint = try trainDigits()
        let out = folder.file("digits.keras.h5")
        let export = try CLI.run(["export", "--keras", checkpoint, out])
        XCTAssertSuccess(export)
        XCTAssertTrue(export.stdout.contains("dense_0: Dense(16, activation='relu')"), export.stdout)
        XCTAssertTrue(export.stdout.contains("dense_1: Dense(10, activation='softmax')"), export.stdout)

        let model = try TrainingState.read(from: checkpoint)
        let checkpointFile = try File.open(checkpoint)
        let file = try File.open(out)
        XCTAssertEqual(try file.root.stringArrayAttribute("layer_names"), ["dense_0", "dense_1"])
        XCTAssertEqual(try file.root.stringAttribute("backend"), "tensorflow")
        XCTAssertEqual(try file.root.stringAttribute("keras_version"), "2.x")
        for (index, layer) in model.model.architecture.layers.enumerated() {
            let name = "dense_\(index)"
            XCTAssertEqual(try file.group(name).stringArrayAttribute("weight_names"), ["\(name)/kernel:0", "\(name)/bias:0"])
            let kernel = try file.dataset("\(name)/\(name)/kernel:0")
            XCTAssertEqual(kernel.shape, [layer.inputs, layer.outputs])
            let k = try kernel.read(Float.self), offset = model.model.architecture.weightOffsets[index]
            // The checkpoint stores PyTorch's weight (outputs × inputs): kernel[i][o] = weight[o][i],
            // and both are the engine's W[i][o].
            let weight = try checkpointFile.dataset("model/\(name)/weight")
            XCTAssertEqual(weight.shape, [layer.outputs, layer.inputs])
            let w = try weight.read(Float.self)
            for (i, o) in [(0, 0), (layer.inputs - 1, 0), (0, layer.outputs - 1), (layer.inputs / 2, layer.outputs / 3)] {
                XCTAssertEqual(k[i * layer.outputs + o], w[o * layer.inputs + i])
                XCTAssertEqual(k[i * layer.outputs + o], model.parameters[offset + i * layer.outputs + o])
            }
            let biasStart = model.model.architecture.biasOffset(index)
            XCTAssertEqual(try file.dataset("\(name)/\(name)/bias:0").read(Float.self),
                           Array(model.parameters[biasStart..<(biasStart + layer.outputs)]))
        }
    }

    func testBadCheckpointPathsGiveOneClearLine() throws {
        let missing = folder.file("missing.ckpt.h5")
        let digits = CLI.dataset("digits.h5")
        let commands: [([String], String)] = [
            (["inspect", missing], "checkpoint \(missing): no such file"),
            (["inspect", missing, "--json"], "checkpoint \(missing): no such file"),
            (["predict", "--checkpoint", missing, "--data", digits, "--out", folder.file("p.h5")], "checkpoint \(missing): no such file"),
            (["export", "--keras", missing, folder.file("k.h5")], "checkpoint \(missing): no such file"),
            (["inspect", digits], "checkpoint \(digits): not an h5train checkpoint"),
        ]
        for (arguments, message) in commands {
            let result = try CLI.run(arguments)
            XCTAssertNoCrash(result)
            XCTAssertEqual(result.status, 1, result.description)
            XCTAssertEqual(result.stdout, "", result.description)
            XCTAssertEqual(result.stderrLines.count, 1, result.description)
            XCTAssertTrue(result.stderr.hasPrefix("h5train: error: \(message)"), result.description)
        }
        XCTAssertEqual(try folder.contents(), [], "nothing written")
    }
}
