import ArgumentParser
import Checkpoint
import DataParallel
import Foundation
import NeuralNet
import Settings
import Training

/// `h5train`: train feed-forward networks on HDF5 datasets with every CPU core.
@main
struct H5Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "h5train",
        abstract: "Train feed-forward neural networks on HDF5 datasets, on every CPU core.",
        discussion: """
        Data comes from HDF5 files: X of any rank with one row per sample (trailing dimensions are \
        flattened), Y as integer class ids (classification) or real values (regression). Training is \
        data-parallel and exactly reproducible: for a given --seed the trained weights are identical \
        for any --workers.

        Quick start (bundled UCI digits):
          h5train train --data datasets/digits.h5 --val-x x_test --val-y y_test
                        --checkpoint digits.ckpt.h5
          h5train evaluate --checkpoint digits.ckpt.h5 --data datasets/digits.h5
        """,
        subcommands: [Train.self, Evaluate.self, Bench.self, ScheduleCommand.self, LRFind.self, PlotCommand.self, Inspect.self, Predict.self, Export.self, Explain.self]
    )
}

/// Runs a command body, turning H5Train's errors into one clear line on standard error and the
/// exit status scripts expect: 64 for a usage mistake, 130 for an interrupted run, 1 for anything
/// else. Settings in messages are spelled as flags, or as `spelling` says (e.g. a positional argument).
func reportingErrors(spelling: (Setting) -> String = \.flag, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as TrainingError {
        FileHandle.standardError.write(Data("h5train: error: \(error.rendered(spelling))\n".utf8))
        throw ExitCode(error.exitStatus)
    } catch let error as UsageError {
        FileHandle.standardError.write(Data("h5train: error: \(error.message)\n".utf8))
        throw ExitCode(64)
    }
}
