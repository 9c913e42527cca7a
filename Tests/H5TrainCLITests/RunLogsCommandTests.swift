import Checkpoint
import DataParallel
import Foundation
import HDF5
import Optimizers
import RunLogs
import Training
import XCTest

/// `train --tensorboard/--plot`, `h5train plot` and `lr-find --tensorboard` end to end.
final class RunLogsCommandTests: XCTestCase {
    private let digits = ["--data", CLI.dataset("digits.h5"), "--val-x", "x_test", "--val-y", "y_test",
                          "--hidden", "32", "--epochs", "3", "--batch-size", "100", "--workers", "2"]

    private func scalars(_ records: [TensorBoardRecord], _ tag: String) -> [Float] {
        records.compactMap { if case .scalar(tag, let value) = $0.content { return value } else { return nil } }
    }

    func testTrainWritesEventsAndAPlotThatPlotRedraws() throws {
        let folder = try TemporaryDirectory()
        let (csv, svg, checkpoint) = (folder.file("m.csv"), folder.file("run.svg"), folder.file("c.h5"))
        let result = try CLI.run(["train"] + digits + ["--metrics", csv, "--checkpoint", checkpoint,
                                                       "--tensorboard", folder.file("tb"), "--plot", svg])
        XCTAssertSuccess(result)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.file("tb"))
        XCTAssertEqual(files.count, 1)
        let name = try XCTUnwrap(files.first)
        XCTAssertTrue(name.hasPrefix("events.out.tfevents."), name)
        XCTAssertTrue(result.stdout.contains("tensorboard: \(folder.file("tb"))/\(name)"), result.description)
        let records = try TensorBoardEventFile.read(folder.file("tb/" + name))
        // The epoch values are the CSV's, rounded to float32.
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(scalars(records, "epoch/train_loss"), rows.map { Float(Double($0[2])!) })
        XCTAssertEqual(scalars(records, "epoch/val_accuracy"), rows.map { Float(Double($0[4])!) })
        XCTAssertEqual(scalars(records, "step/loss").count, 3 * 15)
        let config = records.compactMap { if case .text("run/config", let text) = $0.content { return text } else { return nil } }
        XCTAssertTrue(config.first?.contains("--tensorboard") ?? false, "\(config)")

        let live = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(live.contains("epoch 3 of 3"), "rewritten after the last epoch")
        for source in [csv, checkpoint] {
            let out = folder.file("from-\((source as NSString).lastPathComponent).svg")
            let plotted = try CLI.run(["plot", source, "--out", out])
            XCTAssertSuccess(plotted)
            let drawn = try String(contentsOfFile: out, encoding: .utf8)
            // Same curves as the live plot (the title differs).
            XCTAssertEqual(polylines(drawn), polylines(live), source)
        }
    }

    /// A resumed run accepts the flags; its plot holds the earlier epochs too.
    func testResumeKeepsThePlotsHistory() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.file("c.h5")
        XCTAssertSuccess(try CLI.run(["train"] + digits + ["--checkpoint", checkpoint, "--epochs", "2"]))
        let resumed = try CLI.run(["train", "--resume", checkpoint, "--epochs", "3", "--plot", folder.file("run.svg"),
                                   "--tensorboard", folder.file("tb")])
        XCTAssertSuccess(resumed)
        let svg = try String(contentsOfFile: folder.file("run.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("epoch 3 of 3"), svg)
        XCTAssertEqual(svg.components(separatedBy: "class=\"point\"").count - 1, 4 * 3, "3 epochs of train loss, val loss, accuracy, lr")
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder.file("tb")).first)
        XCTAssertEqual(scalars(try TensorBoardEventFile.read(folder.file("tb/" + name)), "epoch/train_loss").count, 1)
    }

    /// The <polyline> elements of an SVG document, in order.
    private func polylines(_ svg: String) -> [Substring] {
        svg.split(separator: "\n").filter { $0.hasPrefix("<polyline") }
    }

    func testErrorsNameThePath() throws {
        let folder = try TemporaryDirectory()
        let blocked = folder.file("file")
        XCTAssertTrue(FileManager.default.createFile(atPath: blocked, contents: Data("x".utf8)))
        let tensorboard = try CLI.run(["train"] + digits + ["--tensorboard", blocked + "/tb"])
        XCTAssertEqual(tensorboard.status, 1, tensorboard.description)
        XCTAssertEqual(tensorboard.stderrLines.count, 1, tensorboard.description)
        XCTAssertTrue(tensorboard.stderr.contains(blocked + "/tb"), tensorboard.description)

        let plot = try CLI.run(["train"] + digits + ["--plot", folder.file("missing/run.svg")])
        XCTAssertEqual(plot.status, 64, plot.description)
        XCTAssertTrue(plot.stderr.contains("--plot") && plot.stderr.contains(folder.file("missing")), plot.description)

        let csv = folder.file("bad.csv")
        XCTAssertTrue(FileManager.default.createFile(atPath: csv, contents: Data("a,b\n1,2\n".utf8)))
        for (source, mention) in [(csv, "bad.csv:line 1:"), (folder.file("none.h5"), "none.h5")] {
            let result = try CLI.run(["plot", source, "--out", folder.file("x.svg")])
            XCTAssertEqual(result.status, 1, result.description)
            XCTAssertEqual(result.stderrLines.count, 1, result.description)
            XCTAssertTrue(result.stderr.contains(mention), result.description)
        }
    }

    func testLRFindWritesTheSweep() throws {
        let folder = try TemporaryDirectory()
        let result = try CLI.run(["lr-find", "--data", CLI.dataset("digits.h5"), "--hidden", "32", "--batch-size", "32",
                                  "--steps", "40", "--out", folder.file("lr.csv"), "--tensorboard", folder.file("tb")])
        XCTAssertSuccess(result)
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder.file("tb")).first)
        let records = try TensorBoardEventFile.read(folder.file("tb/" + name))
        let rows = try String(contentsOfFile: folder.file("lr.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").map { Double($0)! } }
        XCTAssertEqual(scalars(records, "lr_find/lr"), rows.map { Float($0[1]) })
        XCTAssertEqual(scalars(records, "lr_find/smoothed_loss"), rows.map { Float($0[3]) })
    }
}
