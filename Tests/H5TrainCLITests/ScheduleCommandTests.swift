import Checkpoint
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import Training
import XCTest

/// `h5train schedule`: the CSV is exactly the schedule training uses; plots; usage errors.
final class ScheduleCommandTests: XCTestCase {
    /// (step, lr, momentum?) rows of the CSV on standard output.
    private func rows(_ csv: String) -> [(step: Int, lr: Float, momentum: Float?)] {
        csv.split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return (Int(fields[0]) ?? -1, Float(fields[1]) ?? .nan, fields.count > 2 ? Float(fields[2]) : nil)
        }
    }

    func testOneCycleCSVEqualsOneCycleSchedule() throws {
        let result = try CLI.run(["schedule", "--schedule", "onecycle", "--lr", "0.25", "--steps", "100"])
        XCTAssertSuccess(result)
        XCTAssertEqual(result.stdoutLines.first, "step,lr,momentum")
        let reference = OneCycleSchedule(maxRate: 0.25, totalSteps: 100)  // 0.25 is exact in Float and Double
        let table = rows(result.stdout)
        XCTAssertEqual(table.map(\.step), Array(0..<100))
        for row in table {
            XCTAssertEqual(row.lr, reference.learningRate(atStep: row.step), "lr at step \(row.step)")
            XCTAssertEqual(row.momentum, reference.momentum(atStep: row.step), "momentum at step \(row.step)")
        }
        XCTAssertEqual(table[29].lr, 0.25, "the peak at pct_start·T − 1")
        XCTAssertEqual(table[0].momentum, 0.95)
        XCTAssertEqual(table[29].momentum, 0.85)
    }

    func testEpochsAreConvertedToSteps() throws {
        let result = try CLI.run(["schedule", "--schedule", "multistep", "--milestones", "2,3", "--lr", "1",
                                  "--epochs", "4", "--steps-per-epoch", "5"])
        XCTAssertSuccess(result)
        XCTAssertEqual(result.stdoutLines.first, "step,lr")
        let table = rows(result.stdout)
        XCTAssertEqual(table.count, 20)
        XCTAssertEqual(table.map(\.lr), Array(repeating: 1, count: 10) + Array(repeating: 0.1, count: 5) + Array(repeating: Float(0.1 * 0.1), count: 5))
    }

    func testWarmupAndBatchScaling() throws {
        let result = try CLI.run(["schedule", "--schedule", "constant", "--lr", "0.1", "--warmup-steps", "4", "--warmup-start-factor", "0.5",
                                  "--scale-lr-by-batch", "64", "--batch-size", "256", "--steps", "6"])
        XCTAssertSuccess(result)
        XCTAssertEqual(rows(result.stdout).map(\.lr), [0.2, 0.25, 0.3, 0.35, 0.4, 0.4].map { Float($0) })
    }

    func testOutAndPlotWriteFiles() throws {
        let folder = try TemporaryDirectory()
        let csv = folder.file("schedule.csv"), svg = folder.file("schedule.svg")
        let result = try CLI.run(["schedule", "--schedule", "cyclic", "--base-lr", "0.01", "--lr", "0.1", "--step-size-up", "10",
                                  "--mode", "triangular2", "--steps", "60", "--out", csv, "--plot", svg])
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdout.contains("60 steps of cyclic triangular2"), result.description)
        XCTAssertTrue(result.stdout.contains("plot: \(svg)"), result.description)
        let written = try String(contentsOfFile: csv, encoding: .utf8)
        XCTAssertEqual(written.split(separator: "\n").count, 61)
        let plot = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(plot.hasPrefix("<?xml"))
        XCTAssertTrue(plot.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertEqual(plot.components(separatedBy: "<polyline").count - 1, 2, "lr and momentum")
        XCTAssertTrue(plot.hasSuffix("</svg>\n"))
    }

    func testUsageErrors() throws {
        let cases: [([String], String)] = [
            (["schedule", "--schedule", "onecycle"], "--steps"),
            (["schedule", "--steps", "10", "--epochs", "2"], "not both"),
            (["schedule", "--epochs", "2"], "--steps-per-epoch"),
            (["schedule", "--steps", "0"], "--steps"),
            (["schedule", "--schedule", "exponential", "--steps", "10"], "--gamma"),
            (["schedule", "--schedule", "cyclic", "--steps", "10"], "--base-lr"),
            (["schedule", "--schedule", "onecycle", "--steps", "10", "--pct-start", "2"], "--pct-start"),
            (["schedule", "--schedule", "onecycle", "--optimizer", "adagrad", "--steps", "10"], "--no-cycle-momentum"),
            (["schedule", "--schedule", "warmup", "--steps", "10"], "--schedule"),
        ]
        for (arguments, mention) in cases {
            let result = try CLI.run(arguments)
            XCTAssertNoCrash(result)
            XCTAssertEqual(result.status, 64, result.description)
            XCTAssertTrue(result.stderr.contains(mention), "\(mention) not mentioned: \(result)")
            XCTAssertEqual(result.stdout, "", result.description)
        }
        let malformed = try CLI.run(["schedule", "--schedule", "multistep", "--milestones", "3,x", "--steps", "10"])
        XCTAssertEqual(malformed.status, 64, malformed.description)
        XCTAssertTrue(malformed.stderr.contains("--milestones"), malformed.description)
        let alias = try CLI.run(["schedule", "--lr-step", "1", "--lr-gamma", "0.5", "--gamma", "0.2", "--steps", "3"])
        XCTAssertEqual(alias.status, 64, alias.description)
        XCTAssertTrue(alias.stderr.contains("alias"), alias.description)
    }

    func testLRGammaIsTheStepAlias() throws {
        let viaAlias = try CLI.run(["schedule", "--lr-step", "1", "--lr-gamma", "0.5", "--lr", "1", "--steps", "3"])
        let viaGamma = try CLI.run(["schedule", "--schedule", "step", "--lr-step", "1", "--gamma", "0.5", "--lr", "1", "--steps", "3"])
        XCTAssertSuccess(viaAlias)
        XCTAssertEqual(viaAlias.stdout, viaGamma.stdout)
        XCTAssertEqual(rows(viaAlias.stdout).map(\.lr), [1, 0.5, 0.25])
    }
}
