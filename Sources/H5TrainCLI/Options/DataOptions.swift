import ArgumentParser
import Checkpoint
import Data
import DataParallel
import Optimizers
import Settings
import Training

/// Where the training and validation data are, and how to read them.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("HDF5 file with the training data (required, except with --resume).", valueName: "file"))
    var data: String?

    @Option(help: ArgumentHelp("Dataset of inputs: one row per sample, any rank (e.g. /x_train, /train/images).", valueName: "dataset"))
    var x = "x_train"

    @Option(help: ArgumentHelp("Dataset of targets: integer class ids (N) or (N,1), one-hot (N,k), or real values (N,k).", valueName: "dataset"))
    var y = "y_train"

    @Option(help: ArgumentHelp("HDF5 file with the validation data (default: the --data file).", valueName: "file"))
    var valData: String?

    @Option(help: ArgumentHelp("Validation inputs dataset; enables validation (with --val-y, default y_test).", valueName: "dataset"))
    var valX: String?

    @Option(help: ArgumentHelp("Validation targets dataset; enables validation (with --val-x, default x_test).", valueName: "dataset"))
    var valY: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Hold out this fraction of the training rows for validation instead (0 < f < 1), chosen by --seed.", valueName: "fraction"))
    var valSplit: Double?

    @Option(help: ArgumentHelp("classification or regression; inferred from the targets when omitted.", valueName: "task"))
    var task: String?

    @Option(help: ArgumentHelp("""
        auto: scale unsigned-integer inputs (image bytes) to [0,1] by their type's maximum, keep floats; \
        none; scale: divide by the largest |x|; standardize: zero mean, unit variance per feature. \
        Statistics come from the training set and are stored in the checkpoint.
        """, valueName: "mode"))
    var normalize = "auto"

    func validate() throws {
        if let split = valSplit {
            guard split > 0 && split < 1 else { throw ValidationError("--val-split must be between 0 and 1 (exclusive), got \(split)") }
            guard valX == nil && valY == nil && valData == nil else {
                throw ValidationError("--val-split holds out training rows; it cannot be combined with --val-data/--val-x/--val-y")
            }
        }
        if let task, TaskKind(rawValue: task) == nil {
            throw ValidationError("--task must be classification or regression, got '\(task)'")
        }
        if Normalization.Request(rawValue: normalize) == nil {
            throw ValidationError("--normalize must be one of \(Normalization.Request.allCases.map(\.rawValue).joined(separator: ", ")), got '\(normalize)'")
        }
    }

    /// The loader's options for these flags.
    func loaderOptions(seed: UInt64) throws(TrainingError) -> LoaderOptions {
        guard let data else { throw .invalidSetting(.data, "missing: name the HDF5 file with the training data") }
        var options = LoaderOptions(train: DataSource(file: data, x: x, y: y))
        if valData != nil || valX != nil || valY != nil {
            options.validation = DataSource(file: valData ?? data, x: valX ?? "x_test", y: valY ?? "y_test")
        }
        options.validationSplit = valSplit ?? 0
        options.task = task.flatMap(TaskKind.init(rawValue:))
        options.normalize = Normalization.Request(rawValue: normalize) ?? .auto
        options.seed = seed
        return options
    }
}
