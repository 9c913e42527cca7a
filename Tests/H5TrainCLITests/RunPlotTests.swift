import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import H5TrainCLI
@testable import Training
import XCTest

/// The run plot (`train --plot`, `h5train plot`): its series, and reading a metrics CSV back.
final class RunPlotTests: XCTestCase {
    private func history(momentum: Bool, regression: Bool = false) -> [EpochMetrics] {
        (1...4).map { epoch in
            var metrics = EpochMetrics(epoch: epoch, step: 469 * epoch, trainLoss: 1 / Double(epoch), learningRate: 0.05 / Float(epoch),
                                       samplesPerSecond: 80_000 + Double(epoch), seconds: 0.75)
            metrics.validationLoss = 1.2 / Double(epoch)
            if regression { metrics.validationMAE = 0.5 / Double(epoch) } else { metrics.validationAccuracy = 0.9 + 0.01 * Double(epoch) }
            if momentum { metrics.momentum = 0.85 + 0.01 * Float(epoch) }
            return metrics
        }
    }

    func testPanelsOfAClassificationRun() throws {
        let panels = RunPlot.panels(history(momentum: true), title: "run")
        XCTAssertEqual(panels.count, 2)
        XCTAssertEqual(panels[0].series.map(\.label), ["train loss", "validation loss", "validation accuracy (%)"])
        XCTAssertEqual(panels[0].series[2].points.map(\.y), [91, 92, 93, 94].map { $0 as Double }, accuracy: 1e-9)
        XCTAssertEqual(panels[0].series[2].axis, .right)
        XCTAssertEqual(panels[0].series[0].points.map(\.x), [1, 2, 3, 4])
        XCTAssertEqual(panels[1].series.map(\.label), ["learning rate", "momentum / β₁"])
        XCTAssertEqual(panels[1].series[0].points.map(\.y), [0.05, 0.025, 0.05 / 3, 0.0125].map { Double(Float($0)) }, accuracy: 1e-9)
    }

    func testRegressionPlotsTheMAE() {
        let panels = RunPlot.panels(history(momentum: false, regression: true), title: "run")
        XCTAssertEqual(panels[0].series.map(\.label), ["train loss", "validation loss", "validation MAE"])
        XCTAssertEqual(panels[0].rightYLabel, "validation MAE")
        XCTAssertEqual(panels[1].series.map(\.label), ["learning rate"])
    }

    func testStackedDocumentIsWellFormedWithOneClipPathPerPanel() throws {
        let svg = SVGPlot.stacked(RunPlot.panels(history(momentum: true), title: "a <b> & c"))
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        XCTAssertEqual(svg.components(separatedBy: "<svg ").count - 1, 1)
        XCTAssertTrue(svg.contains("<clipPath id=\"plot-area-1\">") && svg.contains("<clipPath id=\"plot-area-2\">"))
        XCTAssertTrue(svg.contains("translate(0 400.00)"), "the second panel starts below the first")
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 5)
        XCTAssertEqual(svg.components(separatedBy: "class=\"point\"").count - 1, 5 * 4)
    }

    func testMetricsCSVRoundTrip() throws {
        let original = history(momentum: true)
        let text = ([EpochMetrics.csvHeader(momentum: true)] + original.map(\.csvRow)).joined(separator: "\n") + "\n"
        let read = try RunPlot.metrics(csv: text, path: "m.csv")
        XCTAssertEqual(read.count, original.count)
        for (a, b) in zip(read, original) {
            XCTAssertEqual(a.epoch, b.epoch)
            XCTAssertEqual(a.step, b.step)
            XCTAssertEqual(a.trainLoss, b.trainLoss)
            XCTAssertEqual(a.validationLoss, b.validationLoss)
            XCTAssertEqual(a.validationAccuracy, b.validationAccuracy)
            XCTAssertNil(a.validationMAE)
            XCTAssertEqual(a.learningRate, b.learningRate)
            XCTAssertEqual(a.momentum, b.momentum)
            XCTAssertEqual(a.samplesPerSecond, b.samplesPerSecond, accuracy: 0.05)
        }
    }

    func testMalformedCSVNamesTheFileAndLine() {
        XCTAssertThrowsError(try RunPlot.metrics(csv: "a,b\n1,2\n", path: "x.csv")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.csv:line 1:"), "\(error)")
        }
        let text = EpochMetrics.csvHeader + "\n1,10,0.5,,,,0.1,100,1\n2,20,oops\n"
        XCTAssertThrowsError(try RunPlot.metrics(csv: text, path: "x.csv")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.csv:line 3:"), "\(error)")
        }
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
