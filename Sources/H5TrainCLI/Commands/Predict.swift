import ArgumentParser
import Checkpoint
import DataParallel
import Optimizers
import Settings
import Training

/// `h5train predict`: a checkpoint's outputs for every row of an HDF5 dataset, written to a new file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint's predictions for an HDF5 dataset to a new HDF5 file.",
        discussion: """
        Applies the normalisation stored in the checkpoint and runs the network on all workers, \
        reading --batch-size rows at a time so memory stays bounded; the outputs are bit-for-bit \
        the same for any --batch-size and --workers. The output file (written to a \
        temporary file, then renamed) holds, for classification, `probabilities` (N, classes) float32 \
        and `classes` (N) int64 (the most probable class), or for regression `predictions` (N, outputs) \
        float32; its root attributes name the checkpoint and the source dataset.
        """
    )

    @Option(help: ArgumentHelp("Checkpoint written by h5train train.", valueName: "path"))
    var checkpoint: String

    @Option(help: ArgumentHelp("HDF5 file with the inputs.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("Dataset of inputs (rows first).", valueName: "dataset"))
    var x = "x_test"

    @Option(help: ArgumentHelp("HDF5 file to write; must not be the input file or the checkpoint.", valueName: "path"))
    var out: String

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Rows read and predicted at a time (rounded up to a multiple of 256). Does not change the result.", valueName: "rows"))
    var batchSize = 4096

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Worker threads (default: the number of active cores, \(WorkerPool.activeCores) here). Does not change the result.",
        valueName: "n"))
    var workers: Int?

    @OptionGroup(title: "Kernels") var kernels: KernelOptions

    func run() throws {
        guard runsInThisProcess("predict", workers: true) else { return }
        try reportingErrors { () throws(TrainingError) in
            try kernels.select()
            let job = PredictionJob(checkpointPath: checkpoint, dataFile: data, dataset: x, outputPath: out,
                                    workers: workers ?? WorkerPool.activeCores, chunkRows: batchSize)
            let output = try job.run()
            let written = output.task == .classification
                ? "probabilities (\(output.rows), \(output.width)) and classes (\(output.rows))"
                : "predictions (\(output.rows), \(output.width))"
            print("\(data) \(x): \(output.rows) rows → \(out): \(written)")
        }
    }
}
