/// Everything a user can get wrong, or that can go wrong with their files, during training,
/// evaluation and prediction. Each case renders as one sentence naming the file, dataset or flag
/// and what was expected.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A command-line value out of range, e.g. `--workers 0`. Exit status 64 (usage).
    case invalidOption(flag: String, message: String)
    /// A dataset that cannot be used as given: wrong type, shape, values.
    case invalidData(file: String, dataset: String, message: String)
    /// The HDF5 layer failed (missing file, not HDF5, missing dataset, …); its text names the object.
    case hdf5(String)
    /// A checkpoint that cannot be read or written.
    case checkpoint(path: String, message: String)
    /// The loss became NaN or infinite.
    case nonFiniteLoss(epoch: Int, step: Int, lastFiniteLoss: Double?)
    /// A gradient became NaN or infinite while the loss was finite.
    case nonFiniteGradient(epoch: Int, step: Int, layer: Int, lastFiniteLoss: Double?)
    /// The run was stopped by SIGINT/SIGTERM after saving a checkpoint. Exit status 130.
    case interrupted(checkpoint: String, epoch: Int, step: Int)
    /// Writing a metrics or output file failed.
    case output(path: String, message: String)

    public var description: String {
        switch self {
        case .invalidOption(let flag, let message):
            "\(flag): \(message)"
        case .invalidData(let file, let dataset, let message):
            "\(file):\(dataset): \(message)"
        case .hdf5(let text):
            text
        case .checkpoint(let path, let message):
            "checkpoint \(path): \(message)"
        case .nonFiniteLoss(let epoch, let step, let last):
            "the training loss became NaN or infinite at step \(step) (epoch \(epoch))"
                + (last.map { "; the last finite loss was \($0)" } ?? "")
                + ". Try a smaller --lr, or check the data for extreme values."
        case .nonFiniteGradient(let epoch, let step, let layer, let last):
            "the gradient of layer \(layer + 1) became NaN or infinite at step \(step) (epoch \(epoch))"
                + (last.map { "; the last finite loss was \($0)" } ?? "")
                + ". Try a smaller --lr, --clip-norm 1, or --on-nonfinite skip."
        case .interrupted(let path, let epoch, let step):
            "interrupted at step \(step) (epoch \(epoch)); the checkpoint \(path) holds the run. Continue it with: h5train train --resume \(path)"
        case .output(let path, let message):
            "\(path): \(message)"
        }
    }

    /// The process exit status for this error: 64 for usage mistakes, 130 for an interrupted run, else 1.
    public var exitStatus: Int32 {
        switch self {
        case .invalidOption: 64
        case .interrupted: 130
        default: 1
        }
    }

    /// True for mistakes in how the command was invoked (exit status 64, like EX_USAGE).
    public var isUsageError: Bool {
        if case .invalidOption = self { return true }
        return false
    }
}
