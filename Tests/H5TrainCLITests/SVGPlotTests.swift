@testable import Checkpoint
import Foundation
import FoundationXML
import HDF5
@testable import Optimizers
@testable import Settings
@testable import Training
@testable import H5TrainCLI
import XCTest

/// The SVG writer: well-formed XML, every point drawn, ticks where they belong.
final class SVGPlotTests: XCTestCase {
    /// Elements of a parsed document: name and attributes, in order, plus the text of each `<text>`.
    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var texts: [String] = []
        private var inText = false
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append((name, attributes))
            if name == "text" { inText = true; texts.append("") }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inText { texts[texts.count - 1] += string }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { inText = false }
        }
    }

    private func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) throws -> Collector {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")\n\(svg)", file: file, line: line)
        return collector
    }

    private func polylines(_ document: Collector) -> [[(Double, Double)]] {
        document.elements.filter { $0.name == "polyline" }.map { element in
            (element.attributes["points"] ?? "").split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").compactMap { Double($0) }
                return (xy.first ?? .nan, xy.last ?? .nan)
            }
        }
    }

    func testTwoSeriesOnTwoAxesWithAMarker() throws {
        var plot = SVGPlot(title: "a & b <test>", xLabel: "step", yLabel: "lr")
        plot.series.append(SVGPlot.Series(label: "lr", points: (0..<50).map { SVGPlot.Point(x: Double($0), y: Double($0) * 0.002) }))
        plot.series.append(SVGPlot.Series(label: "momentum", points: (0..<50).map { SVGPlot.Point(x: Double($0), y: 0.95 - Double($0) * 0.002) }, axis: .right))
        plot.rightYLabel = "momentum"
        plot.markers.append(SVGPlot.Marker(point: SVGPlot.Point(x: 25, y: 0.05), label: "peak"))
        let document = try parse(plot.render())

        XCTAssertEqual(document.elements.first?.name, "svg")
        XCTAssertEqual(document.elements.first?.attributes["xmlns"], "http://www.w3.org/2000/svg")
        let lines = polylines(document)
        XCTAssertEqual(lines.map(\.count), [50, 50])
        // Inside the plotting area, x increasing; the rising series goes up (SVG y decreases).
        for line in lines {
            XCTAssertTrue(zip(line, line.dropFirst()).allSatisfy { $0.0 < $1.0 })
            XCTAssertTrue(line.allSatisfy { (0...800).contains($0.0) && (0...480).contains($0.1) })
        }
        XCTAssertGreaterThan(lines[0][0].1, lines[0][49].1)
        XCTAssertLessThan(lines[1][0].1, lines[1][49].1)
        XCTAssertEqual(document.elements.filter { $0.name == "circle" }.count, 1)
        XCTAssertTrue(document.texts.contains("a & b <test>"), "the title is escaped and survives: \(document.texts)")
        XCTAssertTrue(document.texts.contains("peak"))
        XCTAssertTrue(document.texts.contains("momentum"), "legend and right axis label")
        XCTAssertTrue(document.elements.contains { $0.name == "g" && $0.attributes["class"] == "right-axis" })
    }

    func testLinearTicksAreNiceNumbersCoveringTheData() throws {
        var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y")
        plot.leftIncludesZero = true
        plot.series.append(SVGPlot.Series(label: "y", points: [SVGPlot.Point(x: 0, y: 0.004), SVGPlot.Point(x: 99, y: 0.1)]))
        let document = try parse(plot.render())
        let ticks = document.texts.filter { Double($0) != nil }
        XCTAssertTrue(ticks.contains("0.00"), "\(ticks)")
        XCTAssertTrue(ticks.contains("0.10"), "\(ticks)")
        XCTAssertTrue(ticks.contains("0.02"), "\(ticks)")
        XCTAssertTrue(ticks.contains("100"), "x ticks reach the last step: \(ticks)")
    }

    func testLogAxisHasDecadeTicks() throws {
        var plot = SVGPlot(title: "lr-find", xLabel: "lr", yLabel: "loss")
        plot.logX = true
        let points = (0..<100).map { k -> SVGPlot.Point in
            let lr = 1e-7 * pow(1e8, Double(k) / 99)
            return SVGPlot.Point(x: lr, y: 2.3 - log10(lr / 1e-7) * 0.2)
        }
        plot.series.append(SVGPlot.Series(label: "loss", points: points + [SVGPlot.Point(x: 0, y: 1), SVGPlot.Point(x: 1, y: .nan)]))
        plot.markers.append(SVGPlot.Marker(point: SVGPlot.Point(x: 0.01, y: 1.3), label: "suggested 0.01"))
        let document = try parse(plot.render())
        XCTAssertEqual(polylines(document).map(\.count), [100], "x ≤ 0 and NaN points are left out")
        let xTicks = document.elements.enumerated().filter { $0.element.name == "text" && $0.element.attributes["class"] == "tick" }
        XCTAssertFalse(xTicks.isEmpty)
        for label in ["1e-7", "1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10"] {
            XCTAssertTrue(document.texts.contains(label), "log tick \(label) missing: \(document.texts)")
        }
        // Decades are evenly spaced on a log axis.
        let positions = document.elements.filter { $0.name == "line" && $0.attributes["class"] == "grid" && $0.attributes["x1"] == $0.attributes["x2"] }
            .compactMap { Double($0.attributes["x1"] ?? "") }
        XCTAssertEqual(positions.count, 9)
        let gaps = zip(positions, positions.dropFirst()).map { $1 - $0 }
        for gap in gaps { XCTAssertEqual(gap, gaps[0], accuracy: 0.02) }
        // The marker sits on the 0.01 decade line.
        let marker = try XCTUnwrap(document.elements.first { $0.name == "circle" })
        XCTAssertEqual(Double(marker.attributes["cx"] ?? ""), positions[5], "0.01 is the sixth decade from 1e-7")
    }

    func testLeftMaximumClipsATailInsteadOfRescaling() throws {
        var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y")
        plot.leftMaximum = 3
        plot.series.append(SVGPlot.Series(label: "y", points: [1, 2, 2.5, 40, 100].enumerated().map { SVGPlot.Point(x: Double($0.offset), y: $0.element) }))
        let svg = plot.render()
        let document = try parse(svg)
        let yTicks = document.texts.compactMap(Double.init)
        XCTAssertTrue(document.texts.contains("3.0"), "the axis reaches the maximum: \(yTicks)")
        XCTAssertLessThan(yTicks.max() ?? .infinity, 10, "and stops there, not at 100: \(yTicks)")
        XCTAssertEqual(polylines(document).first?.count, 5, "every point is drawn; the frame clips the tail")
        XCTAssertTrue(svg.contains("<clipPath id=\"plot-area\">") && svg.contains("clip-path=\"url(#plot-area)\""))
    }

    func testWriteReplacesTheFileAndReportsBadPaths() throws {
        let folder = try TemporaryDirectory()
        var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y")
        plot.series.append(SVGPlot.Series(label: "y", points: [SVGPlot.Point(x: 1, y: 1)]))
        try plot.write(to: folder.file("plot.svg"))
        XCTAssertEqual(try String(contentsOfFile: folder.file("plot.svg"), encoding: .utf8), plot.render())
        XCTAssertThrowsError(try plot.write(to: folder.file("missing/plot.svg"))) { error in
            guard case .output(let path, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("missing/plot.svg"))
        }
    }
}
