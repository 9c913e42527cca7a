import Settings
import Training

/// Writes training states as HDF5 checkpoint files, for the training loop.
public struct CheckpointWriter: TrainingStateWriter {
    public init() {}

    public func write(_ state: TrainingState, to path: String) throws(TrainingError) {
        try state.write(to: path)
    }
}
