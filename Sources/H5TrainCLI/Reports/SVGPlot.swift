import Checkpoint
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings
import Training

/// A small line plot written as a standalone SVG file: no dependencies, readable in any browser.
///
/// One or two series (the second may use its own y axis on the right), axes with tick labels and
/// light grid lines, a title, axis labels, a legend when there are two series, and marked points.
/// Several plots can be stacked into one document (``stacked(_:)``).
/// The x axis can be logarithmic (decade ticks), as the learning-rate range test needs. Points that
/// are not finite, or not positive on a log axis, are left out.
public struct SVGPlot: Sendable {
    /// Which y axis a series or marker is drawn against.
    public enum Axis: Sendable {
        case left
        case right
    }

    /// One (x, y) point.
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    /// A line.
    public struct Series: Sendable {
        public var label: String
        public var points: [Point]
        public var axis: Axis
        /// An SVG colour, e.g. `#1f77b4`.
        public var color: String
        /// Whether each point is also drawn as a dot (for curves of a few points, such as epochs).
        public var showsPoints = false

        public init(label: String, points: [Point], axis: Axis = .left, color: String? = nil) {
            self.label = label
            self.points = points
            self.axis = axis
            self.color = color ?? (axis == .left ? "#1f77b4" : "#ff7f0e")
        }
    }

    /// A highlighted point with a label (e.g. the suggested learning rate).
    public struct Marker: Sendable {
        public var point: Point
        public var label: String
        public var axis: Axis

        public init(point: Point, label: String, axis: Axis = .left) {
            self.point = point
            self.label = label
            self.axis = axis
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// The label of the right axis (used when a series is on it).
    public var rightYLabel = ""
    /// Logarithmic x axis, ticks at powers of ten.
    public var logX = false
    /// Ticks on the x axis only at whole numbers (epochs).
    public var integerX = false
    /// Leave the right axis' margin even without a right series (so stacked plots line up).
    public var reservesRightMargin = false
    /// Whether the left axis starts at (or includes) zero.
    public var leftIncludesZero = false
    /// A fixed top for the left axis: lines above it are clipped at the frame (e.g. so that a
    /// diverging tail does not flatten the rest of the curve); nil to fit the data.
    public var leftMaximum: Double?
    public var series: [Series] = []
    public var markers: [Marker] = []
    public var width = 800.0
    public var height = 480.0

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The SVG document.
    public func render() -> String {
        Self.document(width: width, height: height, body: body(clipID: "plot-area"))
    }

    /// One SVG document with `plots` stacked top to bottom (each at its own size), e.g. a run's
    /// losses above its learning rate.
    public static func stacked(_ plots: [SVGPlot]) -> String {
        var body = "", top = 0.0
        for (index, plot) in plots.enumerated() {
            body += "<g transform=\"translate(0 \(n(top)))\">\n" + plot.body(clipID: "plot-area-\(index + 1)") + "</g>\n"
            top += plot.height
        }
        return document(width: plots.map(\.width).max() ?? 0, height: top, body: body)
    }

    /// Writes ``stacked(_:)`` to `path` atomically (a temporary file, then a rename).
    public static func writeStacked(_ plots: [SVGPlot], to path: String) throws(TrainingError) {
        try write(stacked(plots), to: path)
    }

    private static func document(width: Double, height: Double, body: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>

        """ + body + "</svg>\n"
    }

    /// Where the data goes: the frame and the three axes, and how a value becomes a pixel.
    private struct Canvas {
        let frame: Frame
        let x: PlotAxis, left: PlotAxis, right: PlotAxis

        func px(_ value: Double) -> Double { frame.left + x.fraction(value) * (frame.right - frame.left) }

        func py(_ value: Double, _ axis: Axis) -> Double {
            frame.bottom - (axis == .left ? left : right).fraction(value) * (frame.bottom - frame.top)
        }
    }

    private var hasRightAxis: Bool { series.contains { $0.axis == .right } }

    private func canvas() -> Canvas {
        let frame = Frame(left: 78, right: width - (hasRightAxis || reservesRightMargin ? 78 : 24),
                          top: series.count > 1 ? 60 : 44, bottom: height - 56)
        let x = PlotAxis(values: series.flatMap { $0.points.map(\.x) }.filter { logX ? $0 > 0 : true }, log: logX, includeZero: false,
                         minimumStep: integerX ? 1 : 0)
        let leftValues = values(on: .left).filter { $0 <= (leftMaximum ?? .infinity) } + (leftMaximum.map { [$0] } ?? [])
        return Canvas(frame: frame, x: x, left: PlotAxis(values: leftValues, log: false, includeZero: leftIncludesZero),
                      right: PlotAxis(values: values(on: .right), log: false, includeZero: false))
    }

    /// The plot's elements, its frame clipped by a clip path named `clipID`.
    private func body(clipID: String) -> String {
        let canvas = canvas(), frame = canvas.frame
        var svg = """
            <defs><clipPath id="\(clipID)"><rect x="\(n(frame.left))" y="\(n(frame.top))" width="\(n(frame.right - frame.left))" height="\(n(frame.bottom - frame.top))"/></clipPath></defs>
            <text x="\(n(width / 2))" y="24" text-anchor="middle" font-size="15">\(escape(title))</text>

            """
        svg += axes(canvas)
        svg += "<rect x=\"\(n(frame.left))\" y=\"\(n(frame.top))\" width=\"\(n(frame.right - frame.left))\" height=\"\(n(frame.bottom - frame.top))\" fill=\"none\" stroke=\"black\"/>\n"
        svg += lines(canvas, clipID: clipID) + markerElements(canvas) + legend()
        return svg
    }

    /// Grid lines, ticks and titles of the x axis, the left axis and (when used) the right axis.
    private func axes(_ canvas: Canvas) -> String {
        let frame = canvas.frame
        var svg = "<g class=\"x-axis\">\n"
        for tick in canvas.x.ticks {
            let position = canvas.px(tick)
            svg += "<line class=\"grid\" x1=\"\(n(position))\" y1=\"\(n(frame.top))\" x2=\"\(n(position))\" y2=\"\(n(frame.bottom))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text class=\"tick\" x=\"\(n(position))\" y=\"\(n(frame.bottom + 16))\" text-anchor=\"middle\">\(escape(canvas.x.label(tick)))</text>\n"
        }
        svg += "<text x=\"\(n((frame.left + frame.right) / 2))\" y=\"\(n(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n</g>\n"
        svg += "<g class=\"y-axis\">\n"
        for tick in canvas.left.ticks {
            let position = canvas.py(tick, .left)
            svg += "<line class=\"grid\" x1=\"\(n(frame.left))\" y1=\"\(n(position))\" x2=\"\(n(frame.right))\" y2=\"\(n(position))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text class=\"tick\" x=\"\(n(frame.left - 6))\" y=\"\(n(position + 4))\" text-anchor=\"end\">\(escape(canvas.left.label(tick)))</text>\n"
        }
        svg += axisTitle(yLabel, x: 18, y: (frame.top + frame.bottom) / 2, color: hasRightAxis ? colour(of: .left) : "black")
        svg += "</g>\n"
        guard hasRightAxis else { return svg }
        svg += "<g class=\"right-axis\">\n"
        for tick in canvas.right.ticks {
            let position = canvas.py(tick, .right)
            svg += "<line x1=\"\(n(frame.right))\" y1=\"\(n(position))\" x2=\"\(n(frame.right + 4))\" y2=\"\(n(position))\" stroke=\"black\"/>\n"
            svg += "<text class=\"tick\" x=\"\(n(frame.right + 7))\" y=\"\(n(position + 4))\" text-anchor=\"start\">\(escape(canvas.right.label(tick)))</text>\n"
        }
        svg += axisTitle(rightYLabel, x: width - 14, y: (frame.top + frame.bottom) / 2, color: colour(of: .right))
        return svg + "</g>\n"
    }

    /// Each series as a polyline clipped to the frame, with its points when it shows them.
    private func lines(_ canvas: Canvas, clipID: String) -> String {
        var svg = ""
        for line in series {
            let pixels = line.points.filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) }
                .map { (x: canvas.px($0.x), y: canvas.py($0.y, line.axis)) }
            let coordinates = pixels.map { "\(n($0.x)),\(n($0.y))" }
            svg += "<polyline class=\"series\" clip-path=\"url(#\(clipID))\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.8\" points=\"\(coordinates.joined(separator: " "))\"/>\n"
            for point in pixels where line.showsPoints {
                svg += "<circle class=\"point\" cx=\"\(n(point.x))\" cy=\"\(n(point.y))\" r=\"2.5\" fill=\"\(line.color)\"/>\n"
            }
        }
        return svg
    }

    /// Markers: a circle on the point, a dashed line down to the x axis, the label near the top
    /// (one row per marker, so labels of nearby markers never overlap).
    private func markerElements(_ canvas: Canvas) -> String {
        let frame = canvas.frame
        var svg = ""
        let shown = markers.filter { $0.point.x.isFinite && $0.point.y.isFinite && (!logX || $0.point.x > 0) }
        for (index, marker) in shown.enumerated() {
            let (mx, my) = (canvas.px(marker.point.x), canvas.py(marker.point.y, marker.axis))
            let labelY = frame.top + 16 + Double(index) * 16
            svg += "<line class=\"marker-line\" x1=\"\(n(mx))\" y1=\"\(n(labelY + 4))\" x2=\"\(n(mx))\" y2=\"\(n(frame.bottom))\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n"
            svg += "<circle class=\"marker\" cx=\"\(n(mx))\" cy=\"\(n(my))\" r=\"5\" fill=\"white\" stroke=\"#d62728\" stroke-width=\"2\"/>\n"
            let anchor = mx > (frame.left + frame.right) / 2 ? "end" : "start"
            svg += "<text x=\"\(n(mx + (anchor == "end" ? -5 : 5)))\" y=\"\(n(labelY))\" text-anchor=\"\(anchor)\" fill=\"#d62728\">\(escape(marker.label))</text>\n"
        }
        return svg
    }

    /// One row between the title and the frame, centred, never over the data; none for one series.
    private func legend() -> String {
        guard series.count > 1 else { return "" }
        var svg = ""
        let itemWidth = series.map { 40 + 7 * Double($0.label.count) }
        var x = (width - itemWidth.reduce(0, +)) / 2
        for (line, itemWidth) in zip(series, itemWidth) {
            svg += "<line class=\"legend\" x1=\"\(n(x))\" y1=\"\(n(40))\" x2=\"\(n(x + 24))\" y2=\"\(n(40))\" stroke=\"\(line.color)\" stroke-width=\"2\"/>\n"
            svg += "<text x=\"\(n(x + 30))\" y=\"\(n(44))\">\(escape(line.label))</text>\n"
            x += itemWidth
        }
        return svg
    }

    /// Writes ``render()`` to `path` atomically (a temporary file, then a rename).
    public func write(to path: String) throws(TrainingError) {
        try Self.write(render(), to: path)
    }

    private static func write(_ document: String, to path: String) throws(TrainingError) {
        do {
            try AtomicFile.write(Data(document.utf8), to: path)
        } catch {
            throw .output(path: path, message: "cannot write the plot: \(error)")
        }
    }

    private func values(on axis: Axis) -> [Double] {
        series.filter { $0.axis == axis }.flatMap { line in
            line.points.filter { !logX || $0.x > 0 }.map(\.y)
        }
    }

    private func colour(of axis: Axis) -> String {
        series.first { $0.axis == axis }?.color ?? "black"
    }

    private func axisTitle(_ text: String, x: Double, y: Double, color: String) -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"middle\" fill=\"\(color)\" transform=\"rotate(-90 \(n(x)) \(n(y)))\">\(escape(text))</text>\n"
    }
}

/// The plotting area in SVG coordinates (y grows downwards).
private struct Frame {
    var left: Double
    var right: Double
    var top: Double
    var bottom: Double
}

/// An axis' range and ticks: "nice" steps (1, 2 or 5 × 10ⁿ) on a linear axis, powers of ten on a log one.
struct PlotAxis {
    let log: Bool
    let lower: Double
    let upper: Double
    let ticks: [Double]
    /// Decimals of the linear tick labels.
    private let decimals: Int

    /// - Parameter minimumStep: the smallest tick step on a linear axis (1 for whole numbers only).
    init(values: [Double], log: Bool, includeZero: Bool, minimumStep: Double = 0) {
        self.log = log
        var finite = values.filter { $0.isFinite && (!log || $0 > 0) }
        if includeZero && !log { finite.append(0) }
        var low = finite.min() ?? (log ? 1 : 0), high = finite.max() ?? (log ? 10 : 1)
        if log {
            let first = Foundation.log10(low).rounded(.down), last = max(Foundation.log10(high).rounded(.up), first + 1)
            lower = pow(10, first)
            upper = pow(10, last)
            let stride = max(1, ((last - first) / 8).rounded(.up))
            ticks = Swift.stride(from: first, through: last, by: stride).map { pow(10, $0) }
            decimals = 0
            return
        }
        if high - low <= max(abs(high), abs(low)) * 1e-9 {
            // A constant: a band around it (or [0, 1] for zero).
            let pad = low == 0 ? 1 : abs(low) * 0.5
            (low, high) = (includeZero && low >= 0 ? 0 : low - pad, high + pad)
        }
        let step = Swift.max(Self.niceStep((high - low) / 5), minimumStep)
        let first = (low / step + 1e-6).rounded(.down) * step, last = (high / step - 1e-6).rounded(.up) * step
        (lower, upper) = (first, last)
        let count = Swift.max(0, Swift.min(1_000, Int(saturating: ((last - first) / step).rounded())))
        ticks = (0...count).map { first + Double($0) * step }
        decimals = max(0, -Int(saturating: Foundation.log10(step).rounded(.down)))
    }

    /// 1, 2 or 5 × 10ⁿ, the smallest not below `rough` (with a relative slack of 1e-6, so values
    /// that came from `Float`, like 0.1 → 0.10000000149, do not spill into one more tick).
    static func niceStep(_ rough: Double) -> Double {
        let magnitude = pow(10, Foundation.log10(rough).rounded(.down))
        for factor in [1.0, 2, 5, 10] where factor * magnitude >= rough * (1 - 1e-6) { return factor * magnitude }
        return 10 * magnitude
    }

    /// Where `value` falls, 0 at `lower` and 1 at `upper`.
    func fraction(_ value: Double) -> Double {
        if log { return (Foundation.log10(value) - Foundation.log10(lower)) / (Foundation.log10(upper) - Foundation.log10(lower)) }
        return (value - lower) / (upper - lower)
    }

    /// A tick's text: `1e-7` style powers of ten on a log axis, fixed decimals on a linear one.
    func label(_ value: Double) -> String {
        if log {
            let exponent = Int(saturating: Foundation.log10(value).rounded())
            return (-3...3).contains(exponent) ? String(format: "%.\(max(0, -exponent))f", value) : "1e\(exponent)"
        }
        if decimals > 5 { return String(format: "%.1e", value) }
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}

/// A coordinate with two decimals.
private func n(_ value: Double) -> String { String(format: "%.2f", value) }

/// `text` with XML's special characters escaped.
private func escape(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        default: escaped.append(character)
        }
    }
    return escaped
}
