import Data
import DataParallel
import NeuralNet

/// A trained model and everything needed to continue its training: what a checkpoint file holds
/// (the Checkpoint module reads and writes it; layout in docs/checkpoint-format.md).
///
/// Parameters and optimizer state are in NetworkArchitecture's layout (each W inputs × outputs).
public struct TrainingState: Sendable {
    public var model: ModelDescription
    public var normalization: Normalization
    /// Flat parameters in NetworkArchitecture's layout.
    public var parameters: [Float]
    /// The optimizer's state buffers (k × parameters), each in NetworkArchitecture's layout.
    public var optimizerState: [Float]
    public var epoch: Int
    public var step: Int
    /// The run's settings, when written by training (nil fields are not stored).
    public var configuration: TrainingConfiguration?
    /// Where the run stands (training checkpoints only).
    public var progress: TrainingProgress?
    /// The data source and preparation, and the training data's fingerprint (training checkpoints only).
    public var data: LoaderOptions?
    public var fingerprint: DataFingerprint?
    /// The matrix-product kernels the run trained on ("onednn avx512_core", "openblas haswell"):
    /// a run continued on other kernels may differ from an uninterrupted one in the last bits.
    public var kernels: String?
    /// The processes the run was spread over when this was written; nil in checkpoints that did not record it.
    public var spread: RankSpread?

    public init(model: ModelDescription, normalization: Normalization, parameters: [Float], optimizerState: [Float],
                epoch: Int, step: Int, configuration: TrainingConfiguration?) {
        self.model = model
        self.normalization = normalization
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.epoch = epoch
        self.step = step
        self.configuration = configuration
    }
}
