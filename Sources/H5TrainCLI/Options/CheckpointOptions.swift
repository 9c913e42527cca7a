import ArgumentParser
import Checkpoint
import Data
import DataParallel
import NeuralNet
import Optimizers
import Training

/// Where and when checkpoints are written, and resuming from one.
struct CheckpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Write the run here (HDF5): model, optimizer state and progress, atomically — an existing \
        file is replaced whole or not at all. Written at the end, and on Ctrl-C.
        """, valueName: "path"))
    var checkpoint: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also write the checkpoint every this many epochs.", valueName: "epochs"))
    var checkpointEvery: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also write the checkpoint every this many optimizer steps (mid-epoch).", valueName: "steps"))
    var checkpointEverySteps: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the last N end-of-epoch checkpoints as PATH-stem.eNNNN.h5.", valueName: "n"))
    var keepLast: Int?

    @Option(help: ArgumentHelp("Keep the checkpoint with the best val_loss, val_accuracy or train_loss as PATH-stem.best.h5.", valueName: "metric"))
    var saveBest: String?

    @Option(help: ArgumentHelp("""
        Continue the run saved in this checkpoint, exactly as if it had never stopped (also \
        mid-epoch, also with another --workers). Its data and settings are used; --epochs is the \
        total and may be raised to extend the run. Flags that would change the run are refused \
        unless --override is given.
        """, valueName: "path"))
    var resume: String?

    @Flag(help: "With --resume: apply the optimizer, schedule and gradient-health flags given, and list them.")
    var override = false

    func validate() throws {
        if let saveBest, BestMetric(rawValue: saveBest) == nil {
            throw ValidationError("--save-best must be one of \(BestMetric.allCases.map(\.rawValue).joined(separator: ", ")), got '\(saveBest)'")
        }
        if override && resume == nil { throw ValidationError("--override goes with --resume") }
    }

    /// Copies the checkpoint-writing flags into `configuration`.
    func apply(to configuration: inout TrainingConfiguration) {
        configuration.checkpointPath = checkpoint
        configuration.checkpointEvery = checkpointEvery
        configuration.checkpointEverySteps = checkpointEverySteps
        configuration.keepLast = keepLast
        configuration.saveBest = saveBest.flatMap(BestMetric.init(rawValue:))
    }
}
