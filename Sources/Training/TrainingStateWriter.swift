import DataParallel
import Settings

/// Saves a run's state: the loop decides when and where, a writer decides how. The Checkpoint
/// module's `CheckpointWriter` writes HDF5 checkpoint files.
public protocol TrainingStateWriter: Sendable {
    /// Writes `state` to `path`, replacing any file there whole or not at all.
    func write(_ state: TrainingState, to path: String) throws(TrainingError)
}
