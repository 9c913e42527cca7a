import Checkpoint
import DataParallel
import Foundation
import Optimizers
import Settings
import Training

/// A run's curves as one SVG (`train --plot`, `h5train plot`): losses with the validation accuracy
/// (or MAE) on a right axis above, the learning rate (and a cycled momentum) below, per epoch.
public enum RunPlot {
    /// The two stacked panels of `history`.
    public static func panels(_ history: [EpochMetrics], title: String) -> [SVGPlot] {
        func points(_ value: (EpochMetrics) -> Double?) -> [SVGPlot.Point] {
            history.compactMap { metrics in value(metrics).map { SVGPlot.Point(x: Double(metrics.epoch), y: $0) } }
        }
        func line(_ label: String, _ values: [SVGPlot.Point], _ axis: SVGPlot.Axis, _ color: String) -> SVGPlot.Series {
            var series = SVGPlot.Series(label: label, points: values, axis: axis, color: color)
            series.showsPoints = values.count <= 60
            return series
        }
        var losses = SVGPlot(title: title, xLabel: "epoch", yLabel: "loss")
        losses.height = 400
        losses.integerX = true
        losses.leftIncludesZero = true
        losses.series.append(line("train loss", points { $0.trainLoss }, .left, "#1f77b4"))
        let validation = points { $0.validationLoss }
        if !validation.isEmpty { losses.series.append(line("validation loss", validation, .left, "#2ca02c")) }
        let accuracy = points { $0.validationAccuracy.map { $0 * 100 } }, mae = points { $0.validationMAE }
        if !accuracy.isEmpty {
            losses.series.append(line("validation accuracy (%)", accuracy, .right, "#ff7f0e"))
            losses.rightYLabel = "validation accuracy (%)"
        } else if !mae.isEmpty {
            losses.series.append(line("validation MAE", mae, .right, "#ff7f0e"))
            losses.rightYLabel = "validation MAE"
        }
        var rate = SVGPlot(title: "learning rate at the end of each epoch", xLabel: "epoch", yLabel: "learning rate")
        rate.height = 260
        rate.integerX = true
        rate.leftIncludesZero = true
        rate.series.append(line("learning rate", points { Double($0.learningRate) }, .left, "#9467bd"))
        let momentum = points { $0.momentum.map(Double.init) }
        if !momentum.isEmpty {
            rate.series.append(line("momentum / β₁", momentum, .right, "#8c564b"))
            rate.rightYLabel = "momentum / β₁"
        }
        losses.reservesRightMargin = true
        rate.reservesRightMargin = true
        // A little headroom, so the highest point (a constant rate, the first loss) is not drawn on the frame.
        losses.leftMaximum = headroom(losses.series.filter { $0.axis == .left })
        rate.leftMaximum = headroom(rate.series.filter { $0.axis == .left })
        return [losses, rate]
    }

    /// 8 % above the largest finite value of `series`, or nil when there is none.
    private static func headroom(_ series: [SVGPlot.Series]) -> Double? {
        let top = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite).max()
        return top.flatMap { $0 > 0 ? $0 * 1.08 : nil }
    }

    /// Epoch metrics from a `--metrics` CSV file's text (columns found by name, so files with or
    /// without the momentum column both work). Throws for a file that is not such a CSV.
    public static func metrics(csv text: String, path: String) throws(TrainingError) -> [EpochMetrics] {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
              header.contains("epoch"), header.contains("train_loss") else {
            throw .invalidData(file: path, dataset: "line 1", message: "is not an h5train metrics CSV header (expected \(EpochMetrics.csvHeader))")
        }
        return try lines.dropFirst().enumerated().map { (index, line) throws(TrainingError) -> EpochMetrics in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func value(_ name: String) -> Double? {
                header.firstIndex(of: name).flatMap { $0 < fields.count ? Double(fields[$0]) : nil }
            }
            guard fields.count == header.count, let epoch = value("epoch"), let loss = value("train_loss") else {
                throw .invalidData(file: path, dataset: "line \(index + 2)", message: "does not fit the header (expected \(header.count) fields with numbers for epoch and train_loss)")
            }
            var metrics = EpochMetrics(epoch: Int(epoch), step: Int(value("step") ?? 0), trainLoss: loss,
                                       validationLoss: value("val_loss"), validationAccuracy: value("val_accuracy"),
                                       validationMAE: value("val_mae"), learningRate: Float(value("lr") ?? .nan),
                                       samplesPerSecond: value("samples_per_s") ?? .nan, seconds: value("seconds") ?? .nan)
            metrics.momentum = value("momentum").map(Float.init)
            return metrics
        }
    }
}

/// Rewrites the run's SVG after every epoch (`train --plot PATH`), atomically, from the whole
/// history so far (a resumed run's earlier epochs included).
public final class RunPlotObserver: TrainingObserver {
    public let path: String
    private let title: String
    private var history: [EpochMetrics]
    private var failed = false

    public init(path: String, title: String, history: [EpochMetrics]) {
        (self.path, self.title, self.history) = (path, title, history)
    }

    public func note(_ text: SettingText) {}
    public func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {}

    public func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {
        history.append(metrics)
        guard !failed else { return }
        do {
            try SVGPlot.writeStacked(RunPlot.panels(history, title: "\(title) — epoch \(metrics.epoch) of \(totalEpochs)"), to: path)
        } catch {
            failed = true
            FileHandle.standardError.write(Data("h5train: warning: \(error.description); the plot will not be updated, training goes on\n".utf8))
        }
    }
}
