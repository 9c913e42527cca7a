import Checkpoint
import DataParallel
import Foundation
import HDF5
import Optimizers
import Training
import XCTest

/// "For a given --seed the trained weights are identical for any --workers": the same run with
/// 1, 2, 3 and 4 workers writes checkpoints whose weights, biases and momentum are bit-for-bit equal.
final class WorkerInvarianceTests: XCTestCase {
    func testDigitsCheckpointsAreBitIdenticalForAnyWorkerCount() throws {
        // Batch 100 of 1437 rows: a short last batch (37 rows); shard size 16 does not divide 100,
        // so shards are uneven and with 3 workers they do not share out evenly either.
        try assertWorkerInvariance(data: "digits.h5", extra: ["--hidden", "16,8", "--epochs", "2", "--batch-size", "100",
                                                            "--shard-size", "16", "--seed", "3"])
    }

    func testRegressionCheckpointsAreBitIdenticalForAnyWorkerCount() throws {
        try assertWorkerInvariance(data: "diabetes.h5", extra: ["--hidden", "8", "--epochs", "3", "--batch-size", "50",
                                                              "--shard-size", "7", "--lr", "0.0001", "--normalize", "standardize",
                                                              "--nesterov", "--weight-decay", "0.001", "--seed", "5"])
    }

    /// The comparison is not vacuous: another seed gives other weights.
    func testDifferentSeedGivesDifferentWeights() throws {
        let folder = try TemporaryDirectory()
        var checkpoints: [String] = []
        for seed in [1, 2] {
            let path = folder.file("seed\(seed).h5")
            let result = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "1",
                                      "--seed", "\(seed)", "--quiet", "--checkpoint", path])
            XCTAssertSuccess(result)
            checkpoints.append(path)
        }
        let a = try parameterBits(checkpoints[0]), b = try parameterBits(checkpoints[1])
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        XCTAssertNotEqual(a["/model/dense_0/weight"], b["/model/dense_0/weight"])
    }

    // MARK: - Helpers

    private func assertWorkerInvariance(data: String, extra: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = try TemporaryDirectory()
        var reference: (workers: Int, bits: [String: [UInt32]], evaluation: String)?
        for workers in 1...4 {
            let checkpoint = folder.file("w\(workers).ckpt.h5")
            let train = try CLI.run(["train", "--data", CLI.dataset(data), "--workers", "\(workers)",
                                     "--checkpoint", checkpoint] + extra, file: file, line: line)
            XCTAssertSuccess(train, file: file, line: line)
            XCTAssertTrue(train.stdout.contains(", \(workers) worker\(workers == 1 ? "" : "s"),"),
                          "the run should report \(workers) workers: \(train.stdout)", file: file, line: line)

            // The flag reached the trainer (otherwise equal weights would prove nothing).
            let storedWorkers = try File.open(checkpoint).group("training").intAttribute("workers")
            XCTAssertEqual(storedWorkers, workers, file: file, line: line)

            let bits = try parameterBits(checkpoint)
            XCTAssertTrue(bits.keys.contains("/model/dense_0/weight"), "datasets: \(bits.keys.sorted())", file: file, line: line)
            XCTAssertTrue(bits.keys.contains("/model/dense_1/bias"), "datasets: \(bits.keys.sorted())", file: file, line: line)
            XCTAssertTrue(bits.keys.contains("/optimizer/state"), "datasets: \(bits.keys.sorted())", file: file, line: line)

            // Evaluate on the training set, with the same worker count: the printed loss has full precision.
            let evaluate = try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset(data),
                                        "--x", "x_train", "--y", "y_train", "--workers", "\(workers)"], file: file, line: line)
            XCTAssertSuccess(evaluate, file: file, line: line)

            if let reference {
                XCTAssertEqual(Set(bits.keys), Set(reference.bits.keys), file: file, line: line)
                for (name, values) in bits.sorted(by: { $0.key < $1.key }) {
                    let expected = reference.bits[name] ?? []
                    XCTAssertEqual(values.count, expected.count, "\(name): element count", file: file, line: line)
                    if let index = values.indices.first(where: { $0 < expected.count && values[$0] != expected[$0] }) {
                        XCTFail("\(data) \(name)[\(index)]: \(workers) workers give \(Float(bitPattern: values[index])) "
                                + "(0x\(String(values[index], radix: 16))), \(reference.workers) gave "
                                + "\(Float(bitPattern: expected[index])) (0x\(String(expected[index], radix: 16)))",
                                file: file, line: line)
                    }
                }
                XCTAssertEqual(evaluate.stdout, reference.evaluation,
                               "evaluate output with \(workers) vs \(reference.workers) workers", file: file, line: line)
            } else {
                reference = (workers, bits, evaluate.stdout)
            }
        }
    }

    /// Bit patterns of every float32 dataset under /model and /optimizer of a checkpoint, by path.
    private func parameterBits(_ path: String) throws -> [String: [UInt32]] {
        let file = try File.open(path)
        var result: [String: [UInt32]] = [:]
        for name in try file.datasetPaths() where name.hasPrefix("/model/") || name.hasPrefix("/optimizer/") {
            result[name] = try file.dataset(name).read(Float.self).map(\.bitPattern)
        }
        return result
    }
}
