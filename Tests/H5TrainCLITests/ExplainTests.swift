import Checkpoint
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import Training
import XCTest

/// `h5train explain`, end to end: with and without data, errors, `--help`.
final class ExplainTests: XCTestCase {
    private func assertContains(_ result: CLIResult, _ part: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(result.stdout.contains(part), "missing “\(part)”: \(result)", file: file, line: line)
    }

    func testMNISTShapedNetworkWithoutData() throws {
        let result = try CLI.run(["explain", "--inputs", "784", "--outputs", "10", "--hidden", "512,256"])
        XCTAssertSuccess(result)
        assertContains(result, "784 → 512 → 256 → 10 (classification, 10 classes)")
        assertContains(result, "total: 535,818 parameters")
        assertContains(result, "training (forward + backward) 2,407,424 FLOP")
        assertContains(result, "N(0, 2/784) → σ = \(String(format: "%.4g", (2.0 / 784).squareRoot()))")
        assertContains(result, "b ← g on the first step, else b ← μ·b + (1 − dampening)·g")
        assertContains(result, "momentum μ 0.9")
        XCTAssertFalse(result.stdout.contains("warning"), result.description)
    }

    func testAdamAndOneCycle() throws {
        let result = try CLI.run(["explain", "--inputs", "784", "--outputs", "10", "--hidden", "512,256", "--optimizer", "adam",
                                  "--schedule", "onecycle", "--lr", "0.01", "--epochs", "5", "--steps-per-epoch", "469"])
        XCTAssertSuccess(result)
        assertContains(result, "β₁ 0.9, β₂ 0.999, ε 1e-08")
        assertContains(result, "run: 5 epochs × 469 steps = 2,345 optimizer steps")
        assertContains(result, "peak 0.01 (step")
        assertContains(result, "β₁: first 0.95 (step 0), lowest 0.85")
    }

    func testDigitsDataGivesWidthsClassesAndSteps() throws {
        let result = try CLI.run(["explain", "--data", "datasets/digits.h5", "--hidden", "32", "--schedule", "cosine", "--epochs", "2"])
        XCTAssertSuccess(result)
        assertContains(result, "→ 1437 rows × 64 features")
        assertContains(result, "64 → 32 → 10 (classification, 10 classes)")
        assertContains(result, "run: 2 epochs × 12 steps = 24 optimizer steps")  // ⌈1437 / 128⌉
    }

    func testRegressionWithoutData() throws {
        let result = try CLI.run(["explain", "--inputs", "10", "--outputs", "1", "--task", "regression", "--hidden", "16"])
        XCTAssertSuccess(result)
        assertContains(result, "10 → 16 → 1 (regression, 1 output)")
        assertContains(result, "loss: MSE ℓ = (1/K)·Σ_k (y_k − t_k)²")
    }

    func testWithoutDataOrInputsIsAUsageError() throws {
        let result = try CLI.run(["explain", "--hidden", "64"])
        XCTAssertNoCrash(result)
        XCTAssertEqual(result.status, 64, result.description)
        XCTAssertEqual(result.stderrLines.count, 1, result.description)
        XCTAssertTrue(result.stderr.contains("--inputs") && result.stderr.contains("--data"), result.description)
        XCTAssertEqual(result.stdout, "")
    }

    func testWhatTrainRefusesIsRefused() throws {
        for arguments in [["--activation", "step"], ["--outputs", "1"], ["--data", "datasets/digits.h5"], ["--resume", "x.h5"],
                          ["--steps-per-epoch", "0"]] {
            var full = ["explain", "--inputs", "8"] + (arguments.contains("--outputs") ? [] : ["--outputs", "3"]) + arguments
            if arguments.first == "--data" { full = ["explain", "--inputs", "8"] + arguments }
            let result = try CLI.run(full)
            XCTAssertNoCrash(result)
            XCTAssertEqual(result.status, 64, result.description)
            XCTAssertTrue(result.stderr.hasPrefix("h5train: error: --"), result.description)
        }
    }

    func testQuietPrintsOnlyWarnings() throws {
        let result = try CLI.run(["explain", "--inputs", "8", "--outputs", "3", "--hidden", "8,8", "--init", "zeros", "--quiet"])
        XCTAssertSuccess(result)
        XCTAssertEqual(result.stdoutLines.count, 1, result.description)
        XCTAssertTrue(result.stdout.hasPrefix("warning: zeros gives every unit"), result.description)
    }

    func testHelpListsEveryFlagOfTrainAndItsOwn() throws {
        let explain = try CLI.run(["explain", "--help"])
        let train = try CLI.run(["train", "--help"])
        XCTAssertSuccess(explain)
        XCTAssertSuccess(train)
        let text = collapsingWhitespace(explain.stdout)
        XCTAssertTrue(text.contains("USAGE: h5train explain <options>"), explain.description)
        let own = Set(["--inputs", "--outputs", "--steps-per-epoch"])
        let explainFlags = flags(explain.stdout), trainFlags = flags(train.stdout)
        let notExplained: Set = ["--tensorboard", "--plot",  // train's output while it runs
                                 "--kernels", "--isa",  // train runs products; explain only describes them
                                 "--memory-budget"]  // how train holds its data; explain reads only its shape
        XCTAssertEqual(explainFlags.subtracting(own), trainFlags.subtracting(notExplained), "explain takes the flags of train plus \(own.sorted())")
        XCTAssertTrue(own.isSubset(of: explainFlags), explain.description)
        let top = try CLI.run(["--help"])
        XCTAssertTrue(top.stdoutLines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("explain ") }, top.description)
    }

    /// The long flags listed at the start of help lines (`--cycle-momentum/--no-cycle-momentum` as one).
    private func flags(_ help: String) -> Set<String> {
        Set(help.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("--") else { return nil }
            return String(trimmed.prefix { !$0.isWhitespace })
        })
    }
}
