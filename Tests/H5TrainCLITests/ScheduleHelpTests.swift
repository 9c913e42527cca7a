import Checkpoint
import DataParallel
import Foundation
import HDF5
import Optimizers
import Training
import XCTest

/// `--help` of `schedule` and `lr-find`, and the top level listing them.
final class ScheduleHelpTests: XCTestCase {
    /// Long option names that start a help entry line.
    private func options(_ help: String) -> Set<String> {
        Set(help.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  -") else { return nil }
            return line.split(separator: " ").map(String.init).first { $0.hasPrefix("--") }?
                .trimmingCharacters(in: CharacterSet(charactersIn: ","))
        })
    }

    func testTopLevelListsTheNewCommands() throws {
        let result = try CLI.run(["--help"])
        XCTAssertSuccess(result)
        let text = collapsingWhitespace(result.stdout)
        XCTAssertTrue(text.contains("schedule Print or plot a learning-rate schedule"), result.stdout)
        XCTAssertTrue(text.contains("lr-find Find a learning rate with the LR range test"), result.stdout)
    }

    func testScheduleHelp() throws {
        let result = try CLI.run(["schedule", "--help"])
        XCTAssertSuccess(result)
        let listed = options(result.stdout)
        for flag in ["--steps", "--epochs", "--steps-per-epoch", "--batch-size", "--out", "--plot", "--schedule", "--lr", "--optimizer",
                     "--gamma", "--lr-gamma", "--milestones", "--t0", "--base-lr", "--mode", "--cycle-momentum/--no-cycle-momentum",
                     "--pct-start", "--anneal", "--three-phase", "--factor", "--patience", "--warmup-steps", "--warmup-epochs",
                     "--scale-lr-by-batch"] {
            XCTAssertTrue(listed.contains(flag), "schedule --help does not list \(flag): \(listed.sorted())")
        }
        XCTAssertFalse(listed.contains("--data"), "no data file")
        let text = collapsingWhitespace(result.stdout)
        // The formulas are taught.
        for formula in ["lr·γ^⌊k/(lr_step·E)⌋", "η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2", "lr/div → lr → lr/(div·final_div)"] {
            XCTAssertTrue(text.contains(formula), "missing \(formula)")
        }
    }

    func testLRFindHelp() throws {
        let result = try CLI.run(["lr-find", "--help"])
        XCTAssertSuccess(result)
        let listed = options(result.stdout)
        for flag in ["--data", "--x", "--y", "--hidden", "--activation", "--init", "--loss", "--batch-size", "--optimizer", "--momentum",
                     "--start-lr", "--end-lr", "--steps", "--smoothing", "--seed", "--workers", "--shard-size", "--out", "--plot", "--quiet"] {
            XCTAssertTrue(listed.contains(flag), "lr-find --help does not list \(flag): \(listed.sorted())")
        }
        let text = collapsingWhitespace(result.stdout)
        XCTAssertTrue(text.contains("(default: 1e-07)"), "start-lr default")
        XCTAssertTrue(text.contains("(default: 100)"), "steps default")
        XCTAssertTrue(text.contains("(default: 0.05)"), "smoothing default")
        XCTAssertTrue(text.contains("steepest descent"))
        XCTAssertTrue(text.contains("throwaway copy"))
    }
}
