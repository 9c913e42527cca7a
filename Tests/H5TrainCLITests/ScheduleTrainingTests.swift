import Checkpoint
import DataParallel
import Foundation
import HDF5
import Optimizers
import Training
import XCTest

/// `train` with the new schedules: the momentum column and reduce-on-plateau notes.
final class ScheduleTrainingTests: XCTestCase {
    func testOneCycleShowsMomentumInTheLineAndTheMetrics() throws {
        let folder = try TemporaryDirectory()
        let metrics = folder.file("metrics.csv")
        let result = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "8", "--epochs", "3", "--batch-size", "50",
                                  "--schedule", "onecycle", "--lr", "0.2", "--metrics", metrics])
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdout.contains("momentum: cycled by onecycle between 0.95 and 0.85"), result.stdout)
        let epochLines = result.stdoutLines.filter { $0.hasPrefix("epoch ") }
        XCTAssertEqual(epochLines.count, 3)
        XCTAssertTrue(epochLines.allSatisfy { $0.contains("  momentum 0.") }, result.stdout)
        let rows = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.first, "epoch,step,train_loss,val_loss,val_accuracy,val_mae,lr,samples_per_s,seconds,momentum")
        XCTAssertEqual(rows.count, 4)
        // The last step of the run: lr = 0.2/25/1e4, momentum back at 0.95.
        let last = rows[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(last.last, "0.95")
        XCTAssertEqual(Double(last[6]) ?? 0, 0.2 / 25 / 1e4, accuracy: 1e-12)
    }

    func testPlateauReducesTheRateAndSaysSo() throws {
        let result = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--val-x", "x_test", "--val-y", "y_test", "--hidden", "8",
                                  "--epochs", "3", "--batch-size", "50", "--lr", "0.1",
                                  "--schedule", "plateau", "--patience", "0", "--threshold", "2", "--factor", "0.5"])
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdout.contains("plateau: watches the validation loss"), result.stdout)
        let reductions = result.stdoutLines.filter { $0.contains("plateau: the validation loss has not improved") }
        XCTAssertEqual(reductions.count, 3, result.stdout)
        let rates = result.stdoutLines.filter { $0.hasPrefix("epoch ") }.compactMap { field(after: "lr", in: $0) }
        XCTAssertEqual(rates, ["0.1", "0.05", "0.025"])
    }

    func testPlateauCannotFollowAWarmup() throws {
        let result = try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--schedule", "plateau", "--warmup-epochs", "1"])
        XCTAssertEqual(result.status, 64, result.description)
        XCTAssertTrue(result.stderr.contains("--warmup-epochs"), result.description)
    }
}
