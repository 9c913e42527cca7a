import ArgumentParser
import Checkpoint
import DataParallel
import NeuralNet
import Settings
import Training

/// `h5train inspect`: what a checkpoint holds, as a table or as JSON.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a checkpoint holds: model, position in the run, settings, metrics, data.",
        discussion: """
        Prints the format and version, the verified checksum, the task and loss, the layers and their \
        activations, the parameter count, the epoch and global step (and the step within the epoch when \
        the run stopped mid-epoch), every hyper-parameter, the normalisation, the last epoch's metrics, \
        the best validation loss and accuracy, and where the training data came from with its \
        fingerprint. --json prints the same as one JSON object with snake_case keys, for scripts.
        """
    )

    @Argument(help: ArgumentHelp("Checkpoint written by h5train train.", valueName: "path"))
    var path: String

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() throws {
        guard runsInThisProcess("inspect") else { return }
        try reportingErrors { () throws(TrainingError) in
            let summary = CheckpointSummary(try TrainingState.read(from: path), path: path)
            print(json ? summary.json.rendered() : summary.text(naming: \.flag), terminator: json ? "\n" : "")
        }
    }
}
