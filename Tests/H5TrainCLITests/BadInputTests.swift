import Checkpoint
import DataParallel
import Foundation
import HDF5
import Optimizers
import Training
import XCTest

/// Bad files, datasets and flags: each is refused with the right exit status and one clear message
/// naming the file, dataset or flag, without a crash, without writing a checkpoint, and without
/// touching a checkpoint that already exists.
final class BadInputTests: XCTestCase {
    private var folder: TemporaryDirectory!
    /// A small HDF5 file with good and bad datasets, see `makeFixture`.
    private var fixture: String!

    override func setUpWithError() throws {
        folder = try TemporaryDirectory()
        fixture = try Self.makeFixture(at: folder.file("fixture.h5"))
    }

    override func tearDown() {
        folder = nil
        fixture = nil
    }

    // MARK: - Files and datasets (exit 1)

    func testMissingFile() throws {
        let missing = folder.file("no-such-file.h5")
        try assertTrainRejected(["--data", missing], status: 1, mentions: [missing, "no such file"])
    }

    func testFileThatIsNotHDF5() throws {
        let text = folder.file("notes.h5")
        try Data("x,y\n1,0\n".utf8).write(to: URL(fileURLWithPath: text))
        try assertTrainRejected(["--data", text], status: 1, mentions: [text, "not an HDF5 file"])
    }

    func testDirectoryInsteadOfFile() throws {
        try assertTrainRejected(["--data", folder.path], status: 1, mentions: [folder.path, "not an HDF5 file", "directory"])
    }

    func testMissingXDatasetListsTheDatasetsThatExist() throws {
        let digits = CLI.dataset("digits.h5")
        try assertTrainRejected(["--data", digits, "--x", "images"], status: 1,
                                mentions: [digits, "no dataset '/images'", "/x_train", "/y_train", "/x_test", "/y_test"])
    }

    func testMissingYDatasetListsTheDatasetsThatExist() throws {
        let digits = CLI.dataset("digits.h5")
        try assertTrainRejected(["--data", digits, "--y", "labels"], status: 1,
                                mentions: [digits, "no dataset '/labels'", "/x_train", "/y_train"])
    }

    func testMissingValidationDataset() throws {
        let digits = CLI.dataset("digits.h5")
        try assertTrainRejected(["--data", digits, "--val-x", "x_valid"], status: 1,
                                mentions: [digits, "no dataset '/x_valid'", "/x_test"])
    }

    func testMissingValidationFile() throws {
        let missing = folder.file("validation.h5")
        try assertTrainRejected(["--data", CLI.dataset("digits.h5"), "--val-data", missing], status: 1,
                                mentions: [missing, "no such file"])
    }

    func testStringDatasetAsX() throws {
        try assertTrainRejected(["--data", fixture, "--x", "names", "--y", "y"], status: 1,
                                mentions: [fixture, "names", "strings", "numeric"])
    }

    func testStringDatasetAsY() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x", "--y", "names"], status: 1,
                                mentions: [fixture, "names", "strings", "numeric"])
    }

    func testDifferentRowCountsInXAndY() throws {
        let digits = CLI.dataset("digits.h5")
        try assertTrainRejected(["--data", digits, "--x", "x_train", "--y", "y_test"], status: 1,
                                mentions: [digits, "y_test", "360 rows", "x_train", "1437", "one row per sample"])
    }

    func testDifferentRowCountsInValidationData() throws {
        let digits = CLI.dataset("digits.h5")
        try assertTrainRejected(["--data", digits, "--val-x", "x_test", "--val-y", "y_train"], status: 1,
                                mentions: [digits, "y_train", "1437 rows", "x_test", "360"])
    }

    func testNonIntegerClassLabels() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x", "--y", "y_half", "--task", "classification"], status: 1,
                                mentions: [fixture, "y_half", "row 7", "0.5", "class labels must be integers"])
    }

    func testNegativeClassLabels() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x", "--y", "y_negative"], status: 1,
                                mentions: [fixture, "y_negative", "row 11", "-1", "class labels must be integers"])
    }

    func testValidationLabelBeyondTheTrainingClasses() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x", "--y", "y", "--val-x", "x_val", "--val-y", "y_val"], status: 1,
                                mentions: [fixture, "y_val", "class 7", "2 classes"])
    }

    func testMultiColumnTargetsThatAreNotOneHotForClassification() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x", "--y", "y_two_columns", "--task", "classification"], status: 1,
                                mentions: [fixture, "y_two_columns", "not one-hot", "--task regression"])
    }

    func testTargetsOfRankThree() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x", "--y", "y_rank3"], status: 1,
                                mentions: [fixture, "y_rank3", "[20, 2, 2]"])
    }

    func testNaNInX() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x_nan", "--y", "y"], status: 1,
                                mentions: [fixture, "x_nan", "row 3", "nan", "finite"])
    }

    func testInfinityInX() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x_inf", "--y", "y"], status: 1,
                                mentions: [fixture, "x_inf", "row 5", "inf", "finite"])
    }

    func testNaNInY() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x", "--y", "y_nan"], status: 1,
                                mentions: [fixture, "y_nan", "row 19", "nan", "finite"])
    }

    func testEmptyDataset() throws {
        try assertTrainRejected(["--data", fixture, "--x", "x_empty", "--y", "y_empty"], status: 1,
                                mentions: [fixture, "x_empty", "empty", "[0, 4]"])
    }

    func testDivergingTrainingWritesNoCheckpoint() throws {
        // Unscaled regression targets (~150) with the default rate blow up within two epochs.
        try assertTrainRejected(["--data", CLI.dataset("diabetes.h5"), "--normalize", "standardize", "--epochs", "5", "--lr", "0.05"],
                                status: 1, mentions: ["NaN or infinite", "--lr"], stdoutMayHaveProgress: true)
    }

    func testCheckpointInAMissingFolder() throws {
        let path = folder.file("no-such-folder/model.h5")
        let result = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "1", "--quiet",
                                  "--checkpoint", path])
        // Refused before any data is read, naming the flag and the missing folder.
        assertOneErrorLine(result, status: 64, mentions: ["--checkpoint", folder.file("no-such-folder"), "does not exist"], format: .h5train)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("no-such-folder")))
    }

    func testMetricsInAMissingFolder() throws {
        let path = folder.file("no-such-folder/metrics.csv")
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--metrics", path], status: 64,
                                mentions: ["--metrics", folder.file("no-such-folder"), "does not exist"])
    }

    // MARK: - Flags (exit 64)

    func testBatchSizeLargerThanTheData() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--batch-size", "500"], status: 64,
                                mentions: ["--batch-size", "500", "400 training rows"])
    }

    func testZeroWorkers() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--workers", "0"], status: 64,
                                mentions: ["--workers", "at least 1", "got 0"])
    }

    func testNegativeLearningRate() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--lr=-0.1"], status: 64,
                                mentions: ["--lr", "positive", "-0.1"])
    }

    func testNegativeLearningRateAsSeparateArgument() throws {
        // argument-parser reads "-0.1" as an option name, so this is a parse error, still about --lr.
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--lr", "-0.1"], status: 64, mentions: ["--lr"],
                                format: .argumentParser)
    }

    func testZeroLearningRate() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--lr", "0"], status: 64, mentions: ["--lr", "positive", "got 0"])
    }

    func testValidationSplitAboveOne() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--val-split", "1.5"], status: 64,
                                mentions: ["--val-split", "1.5", "between 0 and 1"], format: .argumentParser)
    }

    func testValidationSplitThatLeavesNoTrainingRows() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--val-split", "0.999"], status: 64,
                                mentions: ["--val-split", "0.999", "400"])
    }

    func testUnknownActivation() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--activation", "swoosh"], status: 64,
                                mentions: ["--activation", "swoosh"], format: .argumentParser)
    }

    func testUnknownOptimizerAndScheduleListTheKnownOnes() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--optimizer", "adamm"], status: 64,
                                mentions: ["--optimizer: unknown optimizer 'adamm'; expected one of sgd, rmsprop, adagrad"])
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--schedule", "cosin"], status: 64,
                                mentions: ["--schedule: unknown schedule 'cosin'; expected one of constant, step", "cosine-restarts"])
    }

    func testZeroHiddenWidth() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--hidden", "0,5"], status: 64,
                                mentions: ["--hidden", "0,5", "positive widths"], format: .argumentParser)
    }

    func testNonNumericHiddenWidth() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--hidden", "64,abc"], status: 64,
                                mentions: ["--hidden", "64,abc"], format: .argumentParser)
    }

    func testNegativeEpochs() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--epochs", "-1"], status: 64, mentions: ["--epochs", "at least 0"])
    }

    func testMomentumOfOne() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--momentum", "1"], status: 64, mentions: ["--momentum", "[0, 1)"])
    }

    func testUnknownTask() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--task", "clustering"], status: 64,
                                mentions: ["--task", "clustering"], format: .argumentParser)
    }

    func testUnknownNormalisation() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--normalize", "minmax"], status: 64,
                                mentions: ["--normalize", "minmax", "standardize"], format: .argumentParser)
    }

    func testLossThatDoesNotFitTheTask() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--loss", "mse"], status: 64,
                                mentions: ["--loss", "mse", "classification"])
    }

    func testUnknownOption() throws {
        try assertTrainRejected(["--data", CLI.dataset("xor.h5"), "--learning-rate", "0.1"], status: 64,
                                mentions: ["--learning-rate"], format: .argumentParser)
    }

    func testMissingData() throws {
        try assertTrainRejected([], status: 64, mentions: ["--data"], format: .argumentParser)
    }

    // MARK: - evaluate

    func testEvaluateRefusesBadCheckpointsAndData() throws {
        let checkpoint = folder.file("xor.ckpt.h5")
        XCTAssertSuccess(try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "1", "--quiet",
                                      "--checkpoint", checkpoint]))
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        let digits = CLI.dataset("digits.h5")

        let missing = folder.file("missing.ckpt.h5")
        assertOneErrorLine(try CLI.run(["evaluate", "--checkpoint", missing, "--data", digits]),
                           status: 1, mentions: [missing, "no such file"], format: .h5train)
        assertOneErrorLine(try CLI.run(["evaluate", "--checkpoint", digits, "--data", digits]),
                           status: 1, mentions: [digits, "not an h5train checkpoint"], format: .h5train)
        // A model for 2 features cannot read 8×8 images.
        assertOneErrorLine(try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", digits]),
                           status: 1, mentions: [digits, "x_test", "64 features", "takes 2"], format: .h5train)
        assertOneErrorLine(try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", fixture, "--x", "x_val", "--y", "names"]),
                           status: 1, mentions: [fixture, "x_val", "4 features", "takes 2"], format: .h5train)
        assertOneErrorLine(try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("xor.h5"), "--y", "nothing"]),
                           status: 1, mentions: ["no dataset '/nothing'", "/y_test"], format: .h5train)
        assertOneErrorLine(try CLI.run(["evaluate", "--checkpoint", checkpoint, "--data", CLI.dataset("xor.h5"), "--workers", "0"]),
                           status: 64, mentions: ["--workers", "at least 1"], format: .argumentParser)

        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), before, "evaluate must not modify the checkpoint")
    }

    // MARK: - Helpers

    enum MessageFormat {
        /// `h5train: error: …`, exactly one line on standard error.
        case h5train
        /// argument-parser's `Error: …` line followed by usage lines.
        case argumentParser
    }

    /// Runs `h5train train` with `arguments` twice, once with `--checkpoint` at a fresh path and
    /// once at the path of an existing file, and checks both runs fail the same clear way and
    /// leave the folder as it was.
    private func assertTrainRejected(
        _ arguments: [String], status: Int32, mentions: [String], format: MessageFormat = .h5train,
        stdoutMayHaveProgress: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let common = ["train", "--hidden", "4", "--epochs", "1"]
        // A fresh path: nothing may be created there, nor anything else in the folder.
        let outputs = try TemporaryDirectory(prefix: "h5train-cli-ckpt")
        let fresh = outputs.file("model.ckpt.h5")
        let first = try CLI.run(common + arguments + ["--checkpoint", fresh], file: file, line: line)
        assertOneErrorLine(first, status: status, mentions: mentions, format: format, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh), "a checkpoint was written: \(first)", file: file, line: line)
        XCTAssertEqual(try outputs.contents(), [], "files left behind: \(first)", file: file, line: line)
        if !stdoutMayHaveProgress {
            XCTAssertEqual(first.stdout, "", "nothing should be printed on standard output: \(first)", file: file, line: line)
        }
        XCTAssertFalse(first.stdout.contains("checkpoint:"), first.description, file: file, line: line)

        // An existing checkpoint is left exactly as it was.
        let existing = outputs.file("existing.ckpt.h5")
        let bytes = Data("an earlier checkpoint that must survive a failed run\n".utf8)
        try bytes.write(to: URL(fileURLWithPath: existing))
        let second = try CLI.run(common + arguments + ["--checkpoint", existing], file: file, line: line)
        assertOneErrorLine(second, status: status, mentions: mentions, format: format, file: file, line: line)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: existing)), bytes, "the existing checkpoint changed: \(second)",
                       file: file, line: line)
        XCTAssertEqual(try outputs.contents(), ["existing.ckpt.h5"], "files left behind: \(second)", file: file, line: line)
    }

    /// Exit `status`, no crash, and one error line on standard error that mentions every string.
    private func assertOneErrorLine(
        _ result: CLIResult, status: Int32, mentions: [String], format: MessageFormat, maximumLength: Int = 400,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertNoCrash(result, file: file, line: line)
        XCTAssertEqual(result.status, status, "exit status: \(result)", file: file, line: line)
        let message: String
        switch format {
        case .h5train:
            XCTAssertEqual(result.stderrLines.count, 1, "expected exactly one line on standard error: \(result)", file: file, line: line)
            message = result.stderrLines.first ?? ""
            XCTAssertTrue(message.hasPrefix("h5train: error: "), "expected 'h5train: error: …': \(result)", file: file, line: line)
        case .argumentParser:
            let errorLines = result.stderrLines.filter { $0.hasPrefix("Error: ") || $0.hasPrefix("h5train: error: ") }
            XCTAssertEqual(errorLines.count, 1, "expected exactly one error line: \(result)", file: file, line: line)
            message = errorLines.first ?? ""
        }
        for text in mentions {
            XCTAssertTrue(message.contains(text), "the message should mention '\(text)': \(message)", file: file, line: line)
        }
        XCTAssertLessThan(message.count, maximumLength, "the message is too long to read at a glance: \(message)", file: file, line: line)
    }

    /// Writes the test datasets (20 rows, 4 features unless noted):
    ///
    ///     x, y            good float32 features, int64 labels 0/1
    ///     y_half          float32 labels with 0.5 at row 7
    ///     y_negative      int64 labels with −1 at row 11
    ///     y_nan           float32 targets with NaN at row 19
    ///     y_two_columns   float32 (20, 2), not one-hot
    ///     y_rank3         float32 (20, 2, 2)
    ///     x_nan, x_inf    NaN at row 3, −∞ at row 5
    ///     x_empty, y_empty  shapes (0, 4) and (0)
    ///     names           20 strings
    ///     x_val, y_val    5 rows; y_val holds class 7
    static func makeFixture(at path: String) throws -> String {
        let file = try File.create(path)
        let root = try file.root
        let rows = 20
        let x = (0..<(rows * 4)).map { Float($0 % 9) / 8 }
        let labels = (0..<rows).map { Int64($0 % 2) }
        try root.createDataset("x", shape: [rows, 4], values: x)
        try root.createDataset("y", shape: [rows], values: labels)
        var half = labels.map(Float.init)
        half[7] = 0.5
        try root.createDataset("y_half", shape: [rows], values: half)
        var negative = labels
        negative[11] = -1
        try root.createDataset("y_negative", shape: [rows], values: negative)
        var yNaN = labels.map(Float.init)
        yNaN[19] = .nan
        try root.createDataset("y_nan", shape: [rows], values: yNaN)
        try root.createDataset("y_two_columns", shape: [rows, 2], values: (0..<(rows * 2)).map { Float($0 % 3) / 2 })
        try root.createDataset("y_rank3", shape: [rows, 2, 2], values: [Float](repeating: 1, count: rows * 4))
        var xNaN = x
        xNaN[3 * 4 + 2] = .nan
        try root.createDataset("x_nan", shape: [rows, 4], values: xNaN)
        var xInf = x
        xInf[5 * 4 + 1] = -.infinity
        try root.createDataset("x_inf", shape: [rows, 4], values: xInf)
        try root.createDataset("x_empty", shape: [0, 4], values: [Float]())
        try root.createDataset("y_empty", shape: [0], values: [Int64]())
        try root.createStringDataset("names", values: (0..<rows).map { "sample \($0)" })
        try root.createDataset("x_val", shape: [5, 4], values: Array(x[0..<20]))
        try root.createDataset("y_val", shape: [5], values: [0, 1, 7, 0, 1] as [Int64])
        try file.flush()
        return path
    }
}
