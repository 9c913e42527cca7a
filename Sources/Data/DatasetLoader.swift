import DataParallel
import HDF5
import NeuralNet
import Settings

/// Where a split of the data lives: an HDF5 file and the paths of its X and Y datasets.
public struct DataSource: Sendable, Equatable {
    public var file: String
    public var x: String
    public var y: String

    public init(file: String, x: String, y: String) {
        self.file = file
        self.x = x
        self.y = y
    }
}

/// How the loader should read and prepare the data.
public struct LoaderOptions: Sendable {
    public var train: DataSource
    /// Explicit validation datasets, if any.
    public var validation: DataSource?
    /// Fraction of the training rows held out for validation when `validation` is nil (0 = none).
    public var validationSplit: Double = 0
    /// Forces the task instead of inferring it from Y.
    public var task: TaskKind?
    public var normalize: Normalization.Request = .auto
    public var seed: UInt64 = 0
    /// Whether the training features are read whole or streamed (see `MemoryRequest`).
    public var memory: MemoryRequest = .inMemory
    /// The memory `auto` plans with: this process's share of the host's (see `MemoryShare`).
    public var memoryShare: MemoryShare = .thisProcess
    /// A streamed run's window shape, when a checkpoint fixes it; else chosen from the budget.
    public var windowShape: WindowShape?
    /// The run's batch size: a streamed run's windows are at least this large.
    public var batchSize = 1

    public init(train: DataSource) {
        self.train = train
    }
}

/// Training data in memory, normalised, with what was inferred about it.
public struct LoadedData: Sendable {
    public var train: SampleSet
    public var validation: SampleSet?
    public let task: TaskKind
    /// Network output width: the class count, or the regression target width.
    public let outputSize: Int
    public let normalization: Normalization
    /// One line per decision the loader made (task, classes, normalisation), for the user to see.
    public var notes: [SettingText]
    /// The training features when they are streamed from their file; `train` then holds only
    /// their first block (a probe for diagnostics).
    public var stream: StreamedFeatures? = nil
    /// Validation samples left in their file when the training data is streamed (`validation` is then nil).
    public var streamedValidation: StreamedSamples? = nil

    /// Whether the run has validation data, in memory or streamed.
    public var hasValidation: Bool { validation != nil || streamedValidation != nil }

    /// This rank's part of the training rows when the ranks share them (`train` then holds only those).
    public var partition: RowPartition? = nil

    /// This rank's part of the validation rows when the ranks share them (`validation` then holds only those).
    public var validationPart: ValidationPart? = nil

    /// Training rows: all of them, whether in memory, streamed, or spread over the ranks.
    public var trainingRows: Int { partition?.totalRows ?? stream?.rows ?? train.rows }
}

/// Reads X/Y datasets from HDF5 files, checks them, infers the task, splits and normalises.
public enum DatasetLoader {
    /// Loads training (and validation) data as `options` describe. Across processes (`ranks`), data
    /// kept in memory is spread over them: each reads and holds only its part of the training rows
    /// (`LoadedData.partition`); a collective then, which every rank calls.
    public static func load(_ options: LoaderOptions, ranks: Communicator = .single) throws(TrainingError) -> LoadedData {
        var notes: [SettingText] = []
        var placementNote: SettingText?
        let partitioned = partitions(options, over: ranks)
        let placed = placement(for: options, trainingParts: partitioned ? ranks.size : 1)
        try agreePlacement(placed, partitioned: partitioned, ranks: ranks)
        switch placed {
        case .stream(let budget, let reason):
            var loaded = try loadStreamed(options, budget: budget, reason: reason, ranks: ranks)
            if ranks.isDistributed {
                loaded.notes.insert("data: the \(ranks.size) ranks share each window's blocks: rank r reads those at positions r, r + \(ranks.size), …; each step they exchange the batch's rows",
                                    at: (loaded.notes.firstIndex { "\($0)".hasPrefix("data: streaming") } ?? 0) + 1)
            }
            return loaded
        case .inMemory(let note): placementNote = note
        }
        if partitioned, let loaded = try loadPartitioned(options, ranks: ranks, placementNote: placementNote) { return loaded }
        if ranks.isDistributed {
            notes.append("data: every rank holds all the training rows, as there are fewer than the \(ranks.size) ranks")
        }
        try checkFitsInMemory(options.train)
        // Features stay in their stored type; the normalisation is applied as rows are gathered.
        let rawX = try readFeatureMatrix(options.train)
        var targets = try readTargets(options.train, rows: rawX.rows, task: options.task, classCount: nil)
        var train = SampleSet(matrix: rawX.matrix, targets: targets.values, targetWidth: targets.targetWidth)
        targets.values = []
        var validation: SampleSet?
        if let source = options.validation {
            validation = try readValidation(source, featureCount: rawX.featureCount, trainX: options.train.x, targets: targets)
        } else if options.validationSplit > 0 {
            let split = try ValidationSplit(rows: train.rows, fraction: options.validationSplit, seed: options.seed)
            validation = train.subset(split.validation)
            train = train.subset(split.training)
            let held = split.validation.count
            notes.append("validation: \(held) of \(held + train.rows) training rows held out (\(.validationSplit) \(options.validationSplit))")
        }

        let normalization = train.matrix.fitNormalization(options.normalize, unsignedMaximum: rawX.type.unsignedMaximum)
        train.normalize(with: normalization)
        validation?.normalize(with: normalization)
        notes.insert(contentsOf: [
            "data: \(options.train.file) \(options.train.x) \(rawX.shape) \(rawX.type) → \(train.rows) rows × \(train.featureCount) features",
        ] + (placementNote.map { [$0] } ?? []) + [
            targets.note,
            "normalize: " + describe(normalization, request: options.normalize, type: rawX.type),
        ], at: 0)
        return LoadedData(train: train, validation: validation, task: targets.task,
                          outputSize: targets.outputSize, normalization: normalization, notes: notes)
    }

    /// Reads X as rows × features Float32 (trailing dimensions flattened) and rejects NaN/Inf.
    public static func readFeatures(_ source: DataSource) throws(TrainingError) -> (values: [Float], rows: Int, featureCount: Int, shape: [Int], type: ElementType) {
        let (values, shape, type) = try readNumeric(file: source.file, dataset: source.x)
        let (rows, featureCount) = try FeatureChecks.rowsAndFeatures(of: shape, file: source.file, dataset: source.x)
        try FeatureChecks.requireFinite(values, features: featureCount, file: source.file, dataset: source.x)
        return (values, rows, featureCount, shape, type)
    }

    /// Reads X in its stored type when that is uint8, float32 or float64 (other types as Float32),
    /// rows × features (trailing dimensions flattened), and rejects values that are NaN or ±∞ as Float32.
    public static func readFeatureMatrix(_ source: DataSource) throws(TrainingError) -> (matrix: FeatureMatrix, rows: Int, featureCount: Int, shape: [Int], type: ElementType) {
        let (path, name) = (source.file, source.x)
        let file: File, dataset: Dataset
        do {
            file = try File.open(path)
            dataset = try file.dataset(name)
        } catch {
            throw .hdf5(error.description)
        }
        let stored = switch dataset.elementType {
        case .unsignedInteger(bytes: 1): (name: "uint8", bytes: 1)
        case .float(bytes: 8): (name: "float64", bytes: 8)
        default: (name: "float32", bytes: 4)
        }
        try MemoryBudget.checkDataset(shape: dataset.shape, as: stored, file: path, dataset: name)  // before allocating it
        let (rows, featureCount) = try FeatureChecks.rowsAndFeatures(of: dataset.shape, file: path, dataset: name)
        defer { withExtendedLifetime(file) {} }
        let matrix: FeatureMatrix
        do {
            switch dataset.elementType {
            case .unsignedInteger(bytes: 1): matrix = FeatureMatrix(.uint8(try dataset.read(UInt8.self)), featureCount: featureCount)
            case .float(bytes: 8): matrix = FeatureMatrix(.float64(try dataset.read(Double.self)), featureCount: featureCount)
            default: matrix = FeatureMatrix(.float32(try dataset.read(Float.self)), featureCount: featureCount)
            }
        } catch {
            throw .hdf5(error.description)
        }
        if let (index, value) = matrix.firstNonFinite() {
            throw .invalidData(file: path, dataset: name,
                               message: "row \(index / featureCount) holds \(value); features must be finite numbers")
        }
        return (matrix, rows, featureCount, dataset.shape, dataset.elementType)
    }

    static func readNumeric(file path: String, dataset name: String) throws(TrainingError) -> ([Float], [Int], ElementType) {
        let file: File, dataset: Dataset
        do {
            file = try File.open(path)
            dataset = try file.dataset(name)
        } catch {
            throw .hdf5(error.description)
        }
        try MemoryBudget.checkDataset(shape: dataset.shape, file: path, dataset: name)  // before allocating it
        defer { withExtendedLifetime(file) {} }
        do {
            return (try dataset.read(Float.self), dataset.shape, dataset.elementType)
        } catch {
            throw .hdf5(error.description)
        }
    }

    static func describe(_ normalization: Normalization, request: Normalization.Request, type: ElementType) -> SettingText {
        switch (request, normalization) {
        case (.auto, .scale(let factor)):
            "auto: \(type) features scaled by 1/\(Int((1 / factor).rounded())) to [0, 1] (use \(.normalize) none to keep raw values)"
        case (.auto, _):
            "auto: \(type) features used as stored (use \(.normalize) standardize for zero mean, unit variance)"
        case (_, .standardize(let mean, _)):
            "standardize: each of the \(mean.count) features to zero mean, unit variance (training-set statistics)"
        case (_, .scale(let factor)):
            "\(request.rawValue): features multiplied by \(factor)"
        case (_, .none):
            "\(request.rawValue): features used as stored"
        }
    }
}

extension DatasetLoader {
    /// Checks validation features' width against the training data's, then reads and checks the
    /// validation targets.
    static func validationTargets(_ source: DataSource, featureCount: Int, rows: Int, trainingFeatureCount: Int,
                                  trainX: String, targets: Targets) throws(TrainingError) -> Targets {
        guard featureCount == trainingFeatureCount else {
            throw .invalidData(file: source.file, dataset: source.x,
                               message: "has \(featureCount) features per row; the training data \(trainX) has \(trainingFeatureCount)")
        }
        let y = try readTargets(source, rows: rows, task: targets.task,
                                classCount: targets.task == .classification ? targets.outputSize : nil)
        guard y.targetWidth == targets.targetWidth, y.outputSize == targets.outputSize || targets.task == .classification else {
            throw .invalidData(file: source.file, dataset: source.y,
                               message: "has \(y.outputSize) target columns; the training targets have \(targets.outputSize)")
        }
        return y
    }
}

extension DatasetLoader {
    /// Reads validation data whose features and targets must match the training data's.
    static func readValidation(_ source: DataSource, featureCount: Int, trainX: String, targets: Targets) throws(TrainingError) -> SampleSet {
        let x = try readFeatureMatrix(source)
        let y = try validationTargets(source, featureCount: x.featureCount, rows: x.rows, trainingFeatureCount: featureCount,
                                      trainX: trainX, targets: targets)
        return SampleSet(matrix: x.matrix, targets: y.values, targetWidth: y.targetWidth)
    }

    /// Refuses, before reading anything, training data whose features (in their stored type) and
    /// targets (as Float32) cannot fit in memory together.
    static func checkFitsInMemory(_ source: DataSource) throws(TrainingError) {
        let xShape: [Int], yShape: [Int], stored: Int
        do {
            let file = try File.open(source.file)
            let x = try file.dataset(source.x), y = try file.dataset(source.y)
            (xShape, yShape) = (x.shape, y.shape)
            stored = switch x.elementType {
            case .unsignedInteger(bytes: 1): 1
            case .float(bytes: 8): 8
            default: 4
            }
        } catch {
            return  // the readers report a missing file or dataset, naming it
        }
        let bytes = MemoryBudget.product(xShape + [stored]).flatMap { x in
            MemoryBudget.product(yShape + [4]).flatMap { MemoryBudget.sum([x, $0]) }
        }
        guard let bytes, bytes <= MemoryBudget.available else {
            throw .invalidData(file: source.file, dataset: source.x, message: "of shape \(xShape), with the targets \(source.y) of shape \(yShape), needs \(MemoryBudget.describe(bytes)) of memory, more than \(MemoryBudget.limitText); use a smaller dataset or a machine with more memory")
        }
    }
}
