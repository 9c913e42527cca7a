import Checkpoint
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import Training
import XCTest

/// Train on the bundled datasets, then evaluate the checkpoints, all through the `h5train` binary.
final class EndToEndTests: XCTestCase {
    /// digits.h5: a 64-64-10 ReLU net reaches a good validation accuracy; `evaluate` reproduces the
    /// last epoch's validation loss and accuracy from the checkpoint; the metrics CSV has one row per epoch.
    func testDigitsTrainEvaluateAndMetrics() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("digits.ckpt.h5"), metrics = folder.file("metrics.csv")
        let epochs = 15
        let train = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--hidden", "64", "--epochs", "\(epochs)",
                                 "--val-x", "x_test", "--val-y", "y_test", "--seed", "1",
                                 "--checkpoint", checkpoint, "--metrics", metrics])
        XCTAssertSuccess(train)
        let out = train.stdout
        XCTAssertTrue(out.contains("1437 rows × 64 features"), out)
        XCTAssertTrue(out.contains("classification with 10 classes"), out)
        XCTAssertTrue(out.contains("64→64 relu, 64→10 softmax"), out)
        XCTAssertTrue(out.contains("checkpoint: \(checkpoint)"), out)

        let epochLines = train.stdoutLines.filter { $0.hasPrefix("epoch ") }
        XCTAssertEqual(epochLines.count, epochs, out)
        for (index, line) in epochLines.enumerated() {
            XCTAssertTrue(line.hasPrefix("epoch \(index + 1)/\(epochs) "), line)
        }
        let lastLine = try XCTUnwrap(epochLines.last)
        let lastAccuracyText = try XCTUnwrap(field(after: "val_acc", in: lastLine), lastLine)  // "97.50%"
        let lastAccuracy = try XCTUnwrap(Double(lastAccuracyText.dropLast()), lastLine)
        // Observed 97.50 % (seed 1, debug and release); a few points of slack for BLAS differences.
        XCTAssertGreaterThanOrEqual(lastAccuracy, 93, "final validation accuracy too low: \(lastLine)")
        let firstLine = try XCTUnwrap(epochLines.first)
        let firstLoss = try XCTUnwrap(field(after: "train_loss", in: firstLine).flatMap(Double.init))
        let lastLoss = try XCTUnwrap(field(after: "train_loss", in: lastLine).flatMap(Double.init))
        XCTAssertLessThan(lastLoss, firstLoss / 5, "training loss should fall: \(firstLine) → \(lastLine)")

        // Metrics CSV: header + one row per epoch, all columns present.
        let csv = try String(contentsOfFile: metrics, encoding: .utf8)
        let rows = csv.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.first, "epoch,step,train_loss,val_loss,val_accuracy,val_mae,lr,samples_per_s,seconds")
        XCTAssertEqual(rows.count, epochs + 1, csv)
        let stepsPerEpoch = (1437 + 127) / 128
        for (index, row) in rows.dropFirst().enumerated() {
            let columns = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(columns.count, 9, row)
            guard columns.count == 9 else { continue }
            XCTAssertEqual(Int(columns[0]), index + 1, row)
            XCTAssertEqual(Int(columns[1]), (index + 1) * stepsPerEpoch, row)
            XCTAssertNotNil(Double(columns[2]), row)
            XCTAssertNotNil(Double(columns[3]), row)
            let accuracy = try XCTUnwrap(Double(columns[4]), row)
            XCTAssertTrue((0...1).contains(accuracy), row)
            XCTAssertEqual(columns[5], "", "val_mae is empty for classification: \(row)")
            XCTAssertEqual(Double(columns[6]), 0.05, row)
            XCTAssertGreaterThan(Double(columns[7]) ?? 0, 0, row)
            XCTAssertGreaterThanOrEqual(Double(columns[8]) ?? -1, 0, row)
        }
        let lastColumns = try XCTUnwrap(rows.last).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        // The console line and the CSV agree on the final accuracy.
        XCTAssertEqual(String(format: "%.2f%%", (Double(lastColumns[4]) ?? 0) * 100), lastAccuracyText)

        // evaluate on the validation data prints the same accuracy and exactly the same loss.
        let evaluate = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("digits.h5"),
                                    "--x", "x_test", "--y", "y_test"])
        XCTAssertSuccess(evaluate)
        XCTAssertEqual(evaluate.stdoutLines.count, 1, evaluate.description)
        let line = evaluate.stdout
        XCTAssertTrue(line.contains("x_test/y_test: 360 rows"), line)
        XCTAssertEqual(field(after: "accuracy", in: line), lastAccuracyText, "evaluate: \(line)\nlast epoch: \(lastLine)")
        XCTAssertEqual(field(after: "loss", in: line), lastColumns[3], "evaluate's loss vs the CSV's last val_loss")
        XCTAssertFalse(line.contains("mse"), line)

        // Default --x/--y of evaluate are x_test/y_test.
        let byDefault = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("digits.h5")])
        XCTAssertSuccess(byDefault)
        XCTAssertEqual(byDefault.stdout, evaluate.stdout)
    }

    /// digits-u8.h5: uint8 pixels are scaled by 1/255 automatically, and the net still learns.
    func testDigitsUInt8AutoNormalisation() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("u8.ckpt.h5")
        let train = try CLI.run(["train", "--data", CLI.dataset("digits-u8.h5"), "--hidden", "32", "--epochs", "6",
                                 "--val-x", "x_test", "--val-y", "y_test", "--seed", "1", "--checkpoint", checkpoint])
        XCTAssertSuccess(train)
        let normalize = try XCTUnwrap(train.stdoutLines.first { $0.hasPrefix("normalize:") }, train.description)
        XCTAssertTrue(normalize.contains("uint8"), normalize)
        XCTAssertTrue(normalize.contains("1/255"), normalize)
        XCTAssertTrue(train.stdout.contains("inferred from uint8 labels"), train.stdout)
        let lastLine = try XCTUnwrap(train.stdoutLines.last { $0.hasPrefix("epoch ") })
        let accuracy = try XCTUnwrap(field(after: "val_acc", in: lastLine).flatMap { Double($0.dropLast()) }, lastLine)
        XCTAssertGreaterThanOrEqual(accuracy, 85, lastLine)  // observed 92.50 % after 5 epochs

        // The checkpoint stores the scaling: evaluating on the raw uint8 test set agrees with training.
        let evaluate = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("digits-u8.h5")])
        XCTAssertSuccess(evaluate)
        XCTAssertEqual(field(after: "accuracy", in: evaluate.stdout), field(after: "val_acc", in: lastLine), evaluate.description)
    }

    /// diabetes.h5: float targets make it a regression; standardised inputs; evaluate prints mse and mae.
    func testDiabetesRegression() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("diabetes.ckpt.h5"), metrics = folder.file("m.csv")
        // The targets (25…346) are not rescaled, so the loss starts near 3·10⁴: the rate must be small.
        let train = try CLI.run(["train", "--data", CLI.dataset("diabetes.h5"), "--normalize", "standardize",
                                 "--hidden", "16", "--epochs", "30", "--batch-size", "32", "--lr", "0.0001",
                                 "--val-x", "x_test", "--val-y", "y_test", "--seed", "1",
                                 "--checkpoint", checkpoint, "--metrics", metrics])
        XCTAssertSuccess(train)
        XCTAssertTrue(train.stdout.contains("task: regression with 1 output"), train.stdout)
        XCTAssertTrue(train.stdout.contains("normalize: standardize"), train.stdout)
        XCTAssertTrue(train.stdout.contains("16→1 identity"), train.stdout)
        let lastLine = try XCTUnwrap(train.stdoutLines.last { $0.hasPrefix("epoch ") })
        XCTAssertNotNil(field(after: "val_mae", in: lastLine), lastLine)
        XCTAssertNil(field(after: "val_acc", in: lastLine), lastLine)

        let evaluate = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("diabetes.h5")])
        XCTAssertSuccess(evaluate)
        let line = evaluate.stdout
        XCTAssertTrue(line.contains("89 rows"), line)
        XCTAssertFalse(line.contains("accuracy"), line)
        let mse = try XCTUnwrap(field(after: "mse", in: line).flatMap(Double.init), line)
        let mae = try XCTUnwrap(field(after: "mae", in: line).flatMap(Double.init), line)
        let loss = try XCTUnwrap(field(after: "loss", in: line).flatMap(Double.init), line)
        // The loss squares in Float, the report in Double: equal to ~1e-8 relative.
        XCTAssertEqual(loss, mse, accuracy: mse * 1e-6, "MSE loss equals the mean squared error")
        let lastMAE = try XCTUnwrap(field(after: "val_mae", in: lastLine).flatMap(Double.init), lastLine)
        XCTAssertEqual(mae, lastMAE, accuracy: 0.00005 + 1e-9, "evaluate vs last epoch (printed with 4 decimals): \(line) / \(lastLine)")

        // Better than always predicting the mean of the test targets (observed mse ≈ 3.2e3).
        let targets = try File.open(CLI.dataset("diabetes.h5")).dataset("y_test").read(Double.self)
        let mean = targets.reduce(0, +) / Double(targets.count)
        let variance = targets.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(targets.count)
        XCTAssertLessThan(mse, 0.8 * variance, "mse \(mse) vs variance of y_test \(variance)")
        XCTAssertLessThan(mae, 60, line)

        let csv = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 31)
        let last = csv.last.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        XCTAssertEqual(last.count, 9)
        if last.count == 9 {
            XCTAssertEqual(last[4], "", "val_accuracy is empty for regression")
            XCTAssertEqual(Double(last[5]) ?? -1, mae, accuracy: 1e-9)
        }
    }

    /// xor.h5: not linearly separable; a small tanh hidden layer solves it.
    func testXorWithTanhHiddenLayer() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("xor.ckpt.h5")
        let train = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "8", "--activation", "tanh",
                                 "--epochs", "20", "--batch-size", "32", "--val-x", "x_test", "--val-y", "y_test",
                                 "--seed", "1", "--checkpoint", checkpoint])
        XCTAssertSuccess(train)
        XCTAssertTrue(train.stdout.contains("2→8 tanh, 8→2 softmax"), train.stdout)
        XCTAssertTrue(train.stdout.contains("init: layer 1 glorot_uniform, layer 2 glorot_uniform"), train.stdout)
        let lastLine = try XCTUnwrap(train.stdoutLines.last { $0.hasPrefix("epoch ") })
        let accuracy = try XCTUnwrap(field(after: "val_acc", in: lastLine).flatMap { Double($0.dropLast()) }, lastLine)
        XCTAssertGreaterThanOrEqual(accuracy, 95, lastLine)  // observed 100 %

        let evaluate = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("xor.h5")])
        XCTAssertSuccess(evaluate)
        let evaluated = try XCTUnwrap(field(after: "accuracy", in: evaluate.stdout).flatMap { Double($0.dropLast()) })
        XCTAssertGreaterThanOrEqual(evaluated, 95, evaluate.description)
    }

    /// --val-split holds out training rows, says so, and validates on them.
    func testValidationSplit() throws {
        let train = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "8", "--epochs", "2",
                                 "--val-split", "0.25", "--seed", "2"])
        XCTAssertSuccess(train)
        XCTAssertTrue(train.stdout.contains("validation: 100 of 400 training rows held out"), train.stdout)
        XCTAssertTrue(train.stdout.contains("300 rows"), train.stdout)
        XCTAssertNotNil(train.stdoutLines.last { $0.hasPrefix("epoch 2/2") }.flatMap { field(after: "val_acc", in: $0) }, train.stdout)
    }

    /// --quiet prints nothing at all on success, yet still writes the checkpoint.
    func testQuietPrintsNothing() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("q.ckpt.h5")
        let train = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "1",
                                 "--quiet", "--checkpoint", checkpoint])
        XCTAssertSuccess(train)
        XCTAssertEqual(train.stdout, "")
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))
    }
}

/// The token after `name` in a line of `name value` pairs separated by spaces, e.g.
/// `field(after: "val_acc", in: "… val_acc 97.50%  lr 0.05")` → `"97.50%"`.
func field(after name: String, in line: String) -> String? {
    let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    guard let index = tokens.firstIndex(of: name), index + 1 < tokens.count else { return nil }
    return tokens[index + 1]
}
