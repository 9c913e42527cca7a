import Checkpoint
import DataParallel
import Foundation
import HDF5
import Training
import XCTest

/// `h5train lr-find` end to end on the bundled digits.
final class LRFindCommandTests: XCTestCase {
    func testDigitsSuggestionCurveAndPlot() throws {
        let folder = try TemporaryDirectory()
        let csv = folder.file("curve.csv"), svg = folder.file("lr-find.svg")
        let result = try CLI.run(["lr-find", "--data", CLI.dataset("digits.h5"), "--hidden", "64", "--batch-size", "32",
                                  "--seed", "7", "--out", csv, "--plot", svg])
        XCTAssertSuccess(result)
        let out = result.stdout
        XCTAssertTrue(out.contains("lr-find: lr 1e-07 → 10.0 over 100 steps"), out)
        XCTAssertTrue(out.contains("throwaway copy"), out)
        XCTAssertTrue(out.contains("steepest descent of the smoothed loss: lr "), out)
        XCTAssertTrue(out.contains("minimum of the smoothed loss: lr "), out)
        let line = try XCTUnwrap(result.stdoutLines.first { $0.hasPrefix("suggested learning rate: ") }, out)
        XCTAssertTrue(line.hasSuffix("(steepest descent of the smoothed loss)"), line)
        let rate = try XCTUnwrap(field(after: "rate:", in: line).flatMap(Double.init), line)
        XCTAssertTrue((1e-4...1).contains(rate), line)

        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "step,lr,loss,smoothed_loss")
        XCTAssertGreaterThan(rows.count, 30)
        let plot = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(plot.contains(">1e-7</text>") && plot.contains(">10</text>"), "decade ticks of the log lr axis")
        XCTAssertTrue(plot.contains("suggested "), "the suggestion is marked")
    }

    func testQuietPrintsOnlyTheRate() throws {
        let result = try CLI.run(["lr-find", "--data", CLI.dataset("xor.h5"), "--hidden", "8", "--batch-size", "20",
                                  "--steps", "40", "--quiet"])
        XCTAssertSuccess(result)
        XCTAssertEqual(result.stdoutLines.count, 1, result.description)
        let rate = try XCTUnwrap(Double(result.stdoutLines[0].trimmingCharacters(in: .whitespaces)), result.description)
        XCTAssertTrue(rate > 0 && rate.isFinite)
    }

    func testUsageErrors() throws {
        for (arguments, mention) in [(["--lr", "0.1"], "--lr"), (["--start-lr", "0"], "--start-lr"), (["--end-lr", "1e-9"], "--end-lr"),
                                     (["--steps", "1"], "--steps"), (["--smoothing", "2"], "--smoothing")] {
            let result = try CLI.run(["lr-find", "--data", CLI.dataset("xor.h5")] + arguments)
            XCTAssertNoCrash(result)
            XCTAssertEqual(result.status, 64, result.description)
            XCTAssertTrue(result.stderr.contains(mention), result.description)
        }
    }
}
