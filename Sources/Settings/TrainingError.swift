/// Everything a user can get wrong, or that can go wrong with their files, during training,
/// evaluation and prediction. Each case renders as one sentence naming the file, dataset or setting
/// and what was expected; `rendered(_:)` spells settings as the caller shows them (the command line:
/// as flags).
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A setting's value out of range, e.g. 0 workers. Exit status 64 (usage).
    case invalidSetting(Setting, SettingText)
    /// A dataset that cannot be used as given: wrong type, shape, values.
    case invalidData(file: String, dataset: String, message: SettingText)
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
    case output(path: String, message: SettingText)
    /// One process of a run across processes (mpirun) failed or disagrees with the others: the
    /// rank, its host, and why.
    case rank(Int, host: String, message: SettingText)

    /// The message, settings shown by name.
    public var description: String { rendered(\.name) }

    /// The message with each setting spelled by `spelling`.
    public func rendered(_ spelling: (Setting) -> String) -> String {
        text.rendered(spelling)
    }

    private var text: SettingText {
        switch self {
        case .invalidSetting(let setting, let message):
            "\(setting): \(message)"
        case .invalidData(let file, let dataset, let message):
            "\(file):\(dataset): \(message)"
        case .hdf5(let text):
            SettingText(text)
        case .checkpoint(let path, let message):
            SettingText("checkpoint \(path): \(message)")
        case .nonFiniteLoss(let epoch, let step, let last):
            SettingText("the training loss became NaN or infinite at step \(step) (epoch \(epoch))"
                        + (last.map { "; the last finite loss was \($0)" } ?? ""))
                + ". Try a smaller \(.learningRate), or check the data for extreme values."
        case .nonFiniteGradient(let epoch, let step, let layer, let last):
            SettingText("the gradient of layer \(layer + 1) became NaN or infinite at step \(step) (epoch \(epoch))"
                        + (last.map { "; the last finite loss was \($0)" } ?? ""))
                + ". Try a smaller \(.learningRate), \(.clipNorm) 1, or \(.onNonFinite) skip."
        case .interrupted(let path, let epoch, let step):
            "interrupted at step \(step) (epoch \(epoch)); the checkpoint \(path) holds the run. Continue it with: h5train train \(.resume) \(path)"
        case .output(let path, let message):
            "\(path): \(message)"
        case .rank(let rank, let host, let message):
            "rank \(rank) (\(host)): \(message)"
        }
    }

    /// The process exit status for this error: 64 for usage mistakes, 130 for an interrupted run, else 1.
    public var exitStatus: Int32 {
        switch self {
        case .invalidSetting: 64
        case .interrupted: 130
        default: 1
        }
    }

    /// True for mistakes in how the command was invoked (exit status 64, like EX_USAGE).
    public var isUsageError: Bool {
        if case .invalidSetting = self { return true }
        return false
    }
}
