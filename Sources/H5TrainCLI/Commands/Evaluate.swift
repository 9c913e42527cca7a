import ArgumentParser
import Checkpoint
import Data
import DataParallel
import Foundation
import Optimizers
import Settings
import Training

/// `h5train evaluate`: loss and accuracy (or regression errors) of a checkpoint on a dataset.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a trained checkpoint on an HDF5 dataset.",
        discussion: """
        Applies the normalisation stored in the checkpoint, then prints the mean loss and the \
        accuracy (classification) or the mean squared and absolute errors (regression).
        """
    )

    @Option(help: ArgumentHelp("Checkpoint written by h5train train.", valueName: "path"))
    var checkpoint: String

    @Option(help: ArgumentHelp("HDF5 file with the evaluation data.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("Dataset of inputs.", valueName: "dataset"))
    var x = "x_test"

    @Option(help: ArgumentHelp("Dataset of targets.", valueName: "dataset"))
    var y = "y_test"

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Worker threads (default: the number of active cores, \(WorkerPool.activeCores) here).", valueName: "n"))
    var workers: Int?

    @OptionGroup(title: "Kernels") var kernels: KernelOptions

    func run() throws {
        guard runsInThisProcess("evaluate", workers: true) else { return }
        try reportingErrors { () throws(TrainingError) in
            try kernels.select()
            let workers = workers ?? WorkerPool.activeCores
            guard workers >= 1 else { throw .invalidSetting(.workers, "must be at least 1, got \(workers)") }
            let model = try TrainingState.read(from: checkpoint)
            try model.checkEngineFits(workers: workers)
            // Features are read a block at a time: a test set need not fit in memory.
            let result = try model.evaluate(DataSource(file: data, x: x, y: y), predictor: model.makePredictor(workers: workers))
            var parts = ["\(data) \(x)/\(y): \(result.rows) rows", "loss \(result.loss)"]
            if let accuracy = result.accuracy { parts.append("accuracy \(String(format: "%.2f", accuracy * 100))%") }
            if let mse = result.meanSquaredError { parts.append("mse \(mse)") }
            if let mae = result.meanAbsoluteError { parts.append("mae \(mae)") }
            print(parts.joined(separator: "  "))
        }
    }
}
