import Foundation
import HDF5
import XCTest

/// `bench --memory-budget` and `lr-find --memory-budget`: what they report when they stream, and
/// a budget that is not a size.
final class StreamedSweepCLITests: XCTestCase {
    private var folder: TemporaryDirectory!

    override func setUpWithError() throws { folder = try TemporaryDirectory(prefix: "h5train-streamed-sweep") }
    override func tearDown() { folder = nil }

    /// The digits training data in gzip chunks of 50 rows, as a file of its own.
    private func chunkedDigits() throws -> String {
        let source = try File.open(CLI.dataset("digits.h5"))
        let x = try source.dataset("x_train").read(Float.self), y = try source.dataset("y_train").read(Int64.self)
        let path = folder.file("digits-chunked.h5")
        let file = try File.create(path)
        try file.root.createDataset("x_train", shape: [y.count, 8, 8], values: x, chunkRows: 50, gzipLevel: 4)
        try file.root.createDataset("y_train", shape: [y.count], values: y)
        try file.flush()
        return path
    }

    private let streamingLine = "data: streaming x_train in blocks of 5 rows (chunks of 50, each read in 10 parts), windows of 74 blocks, budget 200 KiB: --memory-budget 200 KiB"

    func testBenchSaysItStreamsAndStillFindsIdenticalWeights() throws {
        let result = try CLI.run(["bench", "--data", try chunkedDigits(), "--hidden", "16", "--batch-size", "64",
                                  "--workers", "1,2", "--steps", "20", "--warmup", "2", "--memory-budget", "200K"])
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdoutLines.contains(streamingLine), "\(result)")
        let rows = result.stdoutLines.filter { $0.hasPrefix("      1 ") || $0.hasPrefix("      2 ") }
        XCTAssertEqual(rows.map { $0.split(separator: " ").last.map(String.init) }, ["reference", "identical"], "\(result)")
        // 22 steps of 64 rows: epoch 1 (23 steps) only, whose 288 blocks the reader may read whole.
        let readers = result.stdoutLines.filter { $0.hasPrefix("data: read ") }
        XCTAssertEqual(readers.count, 2, "\(result)")
        XCTAssertTrue(readers.allSatisfy { $0.hasPrefix("data: read 288 blocks") } , "\(result)")
    }

    func testLRFindSaysItStreams() throws {
        let result = try CLI.run(["lr-find", "--data", try chunkedDigits(), "--hidden", "16", "--steps", "30",
                                  "--workers", "2", "--memory-budget", "200K"])
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdoutLines.contains(streamingLine), "\(result)")
        XCTAssertTrue(result.stdoutLines.contains { $0.hasPrefix("suggested learning rate: ") }, "\(result)")
        XCTAssertTrue(result.stdoutLines.contains { $0.hasPrefix("data: read ") && $0.contains("on the reader thread") }, "\(result)")
    }

    func testABudgetThatIsNotASizeIsRefused() throws {
        for command in ["bench", "lr-find"] {
            let result = try CLI.run([command, "--data", CLI.dataset("digits.h5"), "--memory-budget", "lots"])
            XCTAssertNoCrash(result)
            XCTAssertEqual(result.status, 64, "\(result)")
            let errors = result.stderrLines.filter { $0.hasPrefix("h5train: error: ") || $0.hasPrefix("Error: ") }
            XCTAssertEqual(errors.count, 1, "\(result)")
            XCTAssertTrue(errors.first?.contains("--memory-budget") ?? false, "\(result)")
        }
    }
}
