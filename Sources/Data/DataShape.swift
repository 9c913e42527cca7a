import HDF5
import Settings

/// What a run needs to know about its data before training: the network's input and output widths,
/// the task, and (when the data is at hand) how many rows one epoch trains on.
///
/// ``read(_:)`` finds these cheaply: it reads only X's shape and element type, and Y itself (one
/// value per row, or k), inferring the task and class count exactly as ``DatasetLoader`` does.
public struct DataShape: Sendable, Equatable {
    /// Features per row: the network's input width.
    public var inputs: Int
    /// The network's output width: the class count, or the regression target width.
    public var outputs: Int
    public var task: TaskKind
    /// Rows trained on per epoch (after any `val_split` hold-out); nil when not known.
    public var trainingRows: Int?
    /// One line per fact read or inferred, for the user.
    public var notes: [SettingText]

    public init(inputs: Int, outputs: Int, task: TaskKind, trainingRows: Int? = nil, notes: [SettingText] = []) {
        self.inputs = inputs
        self.outputs = outputs
        self.task = task
        self.trainingRows = trainingRows
        self.notes = notes
    }

    /// The shapes of the training data `options` names, without loading X.
    ///
    /// Explicit validation datasets are not opened (they only have to match X's width); a
    /// `validationSplit` lowers ``trainingRows`` as the loader would.
    public static func read(_ options: LoaderOptions) throws(TrainingError) -> DataShape {
        let source = options.train
        let shape: [Int], type: ElementType
        do {
            let dataset = try File.open(source.file).dataset(source.x)
            (shape, type) = (dataset.shape, dataset.elementType)
        } catch {
            throw .hdf5(error.description)
        }
        guard type.isNumeric else {
            throw .invalidData(file: source.file, dataset: source.x, message: "holds \(type) values; features must be numbers")
        }
        let (rows, featureCount) = try FeatureChecks.rowsAndFeatures(of: shape, file: source.file, dataset: source.x)
        let targets = try DatasetLoader.readTargets(source, rows: rows, task: options.task, classCount: nil)
        var trainingRows = rows
        var notes = ["data: \(source.file) \(source.x) \(shape) \(type) → \(rows) rows × \(featureCount) features (shape only; values not read)",
                     targets.note]
        if let validation = options.validation {
            notes.append("validation: \(validation.file) \(validation.x), \(validation.y) (not read by explain)")
        } else if options.validationSplit > 0 {
            let held = Int((Double(rows) * options.validationSplit).rounded(.up))
            guard held >= 1, held < rows else {
                throw .invalidSetting(.validationSplit, "\(options.validationSplit) leaves no training or no validation rows of \(rows)")
            }
            trainingRows = rows - held
            notes.append("validation: \(held) of \(rows) training rows held out (\(.validationSplit) \(options.validationSplit))")
        }
        if options.normalize == .auto, let maximum = type.unsignedMaximum {
            let divisor = maximum < 1e15 ? "\(Int(maximum))" : "\(maximum)"  // uint64: 2⁶⁴ does not fit an Int
            notes.append("normalize: auto: \(type) features scaled by 1/\(divisor) to [0, 1]")
        } else {
            notes.append("normalize: \(options.normalize.rawValue)\(options.normalize == .auto ? ": \(type) features used as stored" : "")")
        }
        return DataShape(inputs: featureCount, outputs: targets.outputSize, task: targets.task,
                         trainingRows: trainingRows, notes: notes)
    }
}
