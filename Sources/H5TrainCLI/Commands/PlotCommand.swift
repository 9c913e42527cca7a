import ArgumentParser
import Checkpoint
import DataParallel
import Foundation
import Optimizers
import Settings
import Training

/// `h5train plot`: a finished (or running) run's curves as SVG, from its checkpoint or metrics CSV.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a run's loss, accuracy and learning-rate curves as SVG.",
        discussion: """
        Reads the per-epoch history from a checkpoint (/progress/history) or a --metrics CSV file \
        and draws what `train --plot` draws: training and validation loss with the validation \
        accuracy (or MAE) on a right axis, and below it the learning rate (and a cycled momentum).

        Example:
          h5train plot mnist.ckpt.h5 --out mnist.svg
          h5train plot mnist.csv --out mnist.svg
        """
    )

    @Argument(help: ArgumentHelp("A checkpoint (HDF5) or a metrics CSV file written by `train`.", valueName: "checkpoint|metrics.csv"))
    var source: String

    @Option(help: ArgumentHelp("The SVG file to write (replaced atomically).", valueName: "path"))
    var out: String

    func run() throws {
        guard runsInThisProcess("plot") else { return }
        try reportingErrors { () throws(TrainingError) in
            try AtomicFile.checkWritable(out, setting: .output)
            let history = try Self.history(from: source)
            guard !history.isEmpty else {
                throw .invalidData(file: source, dataset: "", message: "holds no finished epoch to plot")
            }
            let name = URL(fileURLWithPath: source).lastPathComponent
            try SVGPlot.writeStacked(RunPlot.panels(history, title: "\(name): \(history.count) epoch\(history.count == 1 ? "" : "s")"), to: out)
            print("plot: \(out) (\(history.count) epochs)")
        }
    }

    /// The epochs recorded in `path`: a checkpoint if the file starts with HDF5's signature, else CSV.
    static func history(from path: String) throws(TrainingError) -> [EpochMetrics] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidData(file: path, dataset: "", message: "cannot be read (check the path)")
        }
        if data.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) {
            guard let progress = try TrainingState.read(from: path).progress else {
                throw .checkpoint(path: path, message: "holds no training history (it was not written by h5train train)")
            }
            return progress.history
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidData(file: path, dataset: "", message: "is neither an HDF5 checkpoint nor a UTF-8 metrics CSV")
        }
        return try RunPlot.metrics(csv: text, path: path)
    }
}
