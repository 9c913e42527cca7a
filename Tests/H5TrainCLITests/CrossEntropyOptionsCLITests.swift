import Checkpoint
import DataParallel
import Foundation
import HDF5
import Training
import XCTest

/// `--label-smoothing`, `--class-weights` and `--loss smooth_l1` through the `h5train` binary:
/// training on the bundled data, the model note, `evaluate` on the checkpoint, `explain`, and
/// errors that name the flag.
final class CrossEntropyOptionsCLITests: XCTestCase {
    /// Trains a 64-64-10 net on digits for 15 epochs with `extra` flags; returns the run and its
    /// last epoch line, after checking the final validation accuracy reaches 90 %.
    private func trainDigits(_ extra: [String], checkpoint: String? = nil, metrics: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) throws -> (CLIResult, String) {
        var arguments = ["train", "--data", CLI.dataset("digits.h5"), "--hidden", "64", "--epochs", "15",
                         "--val-x", "x_test", "--val-y", "y_test", "--seed", "1", "--workers", "2"] + extra
        if let checkpoint { arguments += ["--checkpoint", checkpoint] }
        if let metrics { arguments += ["--metrics", metrics] }
        let result = try CLI.run(arguments)
        XCTAssertSuccess(result, file: file, line: line)
        let last = try XCTUnwrap(result.stdoutLines.last { $0.hasPrefix("epoch 15/15 ") }, result.description, file: file, line: line)
        let accuracy = try XCTUnwrap(field(after: "val_acc", in: last).flatMap { Double($0.dropLast()) }, last, file: file, line: line)
        XCTAssertGreaterThanOrEqual(accuracy, 90, "final validation accuracy too low: \(last)", file: file, line: line)
        return (result, last)
    }

    func testLabelSmoothingTrainsDigits() throws {
        let (result, _) = try trainDigits(["--label-smoothing", "0.1"])
        XCTAssertTrue(result.stdout.contains("loss cross_entropy (label smoothing 0.1)"), result.stdout)
    }

    /// Weighted: `evaluate` on the checkpoint measures the same weighted objective as the run's
    /// last validation loss (Σ w_t·ℓ / Σ w_t over the 360 test rows), to the digit.
    func testClassWeightsTrainDigitsAndEvaluateUsesThem() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("weighted.ckpt.h5"), metrics = folder.file("metrics.csv")
        let weights = "1,2,1,1,0.5,1,1,3,1,1"
        let (result, _) = try trainDigits(["--class-weights", weights, "--label-smoothing", "0.05"], checkpoint: checkpoint, metrics: metrics)
        XCTAssertTrue(result.stdout.contains("label smoothing 0.05, class weights [1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 1.0, 3.0, 1.0, 1.0]; batch mean Σ w_t·ℓ / Σ w_t"),
                      result.stdout)
        let lastRow = try XCTUnwrap(try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").last)
        let validationLoss = String(lastRow.split(separator: ",", omittingEmptySubsequences: false)[3])
        let evaluate = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("digits.h5")])
        XCTAssertSuccess(evaluate)
        XCTAssertEqual(field(after: "loss", in: evaluate.stdout), validationLoss, evaluate.description)

        // The same weights cannot be changed on resume.
        let resume = try CLI.run(["train", "--resume", checkpoint, "--epochs", "16", "--class-weights", "1,1,1,1,1,1,1,1,1,1"])
        XCTAssertEqual(resume.status, 64, resume.description)
        XCTAssertTrue(resume.stderr.contains("--class-weights"), resume.description)
    }

    func testWrongWeightCountNamesTheFlagAndBothCounts() throws {
        let result = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--epochs", "1", "--class-weights", "1,2,3"])
        XCTAssertNoCrash(result)
        XCTAssertEqual(result.status, 64, result.description)
        XCTAssertEqual(result.stderrLines.count, 1, result.description)
        for part in ["--class-weights", "3 weights", "10 classes"] {
            XCTAssertTrue(result.stderr.contains(part), "“\(part)” missing: \(result)")
        }
    }

    func testBadValuesAreUsageErrors() throws {
        let cases: [(arguments: [String], expected: String)] = [
            (["--class-weights", "1,x,2"], "--class-weights"),
            (["--class-weights", "1,-2,1,1,1,1,1,1,1,1"], "--class-weights"),
            (["--class-weights", "0,0,0,0,0,0,0,0,0,0"], "--class-weights"),
            (["--label-smoothing", "1"], "--label-smoothing"),
            (["--label-smoothing", "-0.5"], "--label-smoothing"),
            (["--loss", "nll", "--label-smoothing", "0.1"], "--label-smoothing"),
            (["--loss", "smooth_l1:0"], "--loss"),
        ]
        for (arguments, expected) in cases {
            let result = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--epochs", "1"] + arguments)
            XCTAssertNoCrash(result)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result)")
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments): \(result)")
        }
    }

    func testSmoothL1TrainsARegression() throws {
        let result = try CLI.run(["train", "--data", CLI.dataset("diabetes.h5"), "--loss", "smooth_l1:0.5", "--normalize", "standardize",
                                  "--hidden", "16", "--epochs", "3", "--batch-size", "32", "--lr", "0.01", "--val-split", "0.2"])
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdout.contains("loss smooth_l1:0.5"), result.stdout)
        let losses = result.stdoutLines.filter { $0.hasPrefix("epoch ") }.compactMap { field(after: "train_loss", in: $0).flatMap(Double.init) }
        XCTAssertEqual(losses.count, 3, result.stdout)
        XCTAssertTrue(losses.allSatisfy(\.isFinite), result.stdout)
    }

    func testExplainShowsTheFormulas() throws {
        let smoothed = try CLI.run(["explain", "--inputs", "64", "--outputs", "10", "--label-smoothing", "0.1"])
        XCTAssertSuccess(smoothed)
        XCTAssertTrue(smoothed.stdout.contains("q = (1 − ε)·onehot(t) + ε/K (ε = 0.1, set; PyTorch's default 0"), smoothed.stdout)
        let weighted = try CLI.run(["explain", "--inputs", "64", "--outputs", "3", "--class-weights", "1,2,0.5"])
        XCTAssertSuccess(weighted)
        XCTAssertTrue(weighted.stdout.contains("class weights w = [1, 2, 0.5]"), weighted.stdout)
        XCTAssertTrue(weighted.stdout.contains("L = Σ_samples ℓ / Σ_samples w_t"), weighted.stdout)
        let huber = try CLI.run(["explain", "--inputs", "4", "--outputs", "1", "--loss", "smooth_l1"])
        XCTAssertSuccess(huber)
        XCTAssertTrue(huber.stdout.contains("loss: smooth L1 ℓ = (1/K)·Σ_k s(y_k − t_k)"), huber.stdout)
        let wrong = try CLI.run(["explain", "--inputs", "64", "--outputs", "3", "--class-weights", "1,2"])
        XCTAssertEqual(wrong.status, 64, wrong.description)
        XCTAssertTrue(wrong.stderr.contains("2 weights for 3 classes"), wrong.description)
    }
}
