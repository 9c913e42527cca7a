import DataParallel
import HDF5
import NeuralNet
import Settings

/// Where the loader keeps the training features, and why.
enum DataPlacement {
    /// Read whole; the note says why when the loader chose it.
    case inMemory(note: SettingText?)
    /// Streamed from the file through `budget` bytes of windows.
    case stream(budget: Int, reason: SettingText)
}

extension DatasetLoader {
    /// In memory or streamed, as `options.memory` asks: `auto` streams when the training and
    /// validation data, as stored, are more than half of this process's share of the memory
    /// available (`options.memoryShare`), through a quarter of that share.
    /// With `trainingParts` > 1 this rank holds only that part of the training features.
    static func placement(for options: LoaderOptions, trainingParts: Int = 1) -> DataPlacement {
        let share = options.memoryShare, available = share.bytes
        switch options.memory {
        case .inMemory:
            return .inMemory(note: nil)
        case .streaming(let budget):
            return .stream(budget: budget, reason: "\(.memoryBudget) \(MemoryBudget.short(budget))")
        case .auto:
            if options.windowShape != nil {
                return .stream(budget: available / 4, reason: "the checkpoint's run streamed its data")
            }
            guard let bytes = dataBytes(options, trainingParts: trainingParts) else { return .inMemory(note: nil) }  // the readers name what is missing
            let text = "\(trainingParts > 1 ? "this rank's part of the data" : "the data") (\(MemoryBudget.short(bytes)))"
            guard bytes > available / 2 else {
                return .inMemory(note: "data: in memory: \(text) fits in half \(share.text)")
            }
            return .stream(budget: available / 4, reason: "\(text) is more than half \(share.text)")
        }
    }

    /// Bytes of the training and validation features (as stored) and targets (Float32), or nil
    /// when a file or dataset cannot be opened or the sum overflows.
    static func dataBytes(_ options: LoaderOptions, trainingParts: Int = 1) -> Int? {
        func bytes(_ source: DataSource, parts: Int = 1) -> Int? {
            try? HDF5Library.serialized { () throws(HDF5Error) -> Int? in
                let file = try File.open(source.file)
                let x = try file.dataset(source.x), y = try file.dataset(source.y)
                let stored = StoredType(x.elementType).bytes
                guard let xBytes = MemoryBudget.product(x.shape + [stored]),
                      let yBytes = MemoryBudget.product(y.shape + [4]) else { return nil }
                return MemoryBudget.sum([(xBytes + parts - 1) / parts, yBytes])
            }
        }
        let parts = [bytes(options.train, parts: trainingParts)] + (options.validation.map { [bytes($0)] } ?? [])
        guard !parts.contains(where: { $0 == nil }) else { return nil }
        return MemoryBudget.sum(parts.compactMap { $0 })
    }

    /// Rows per block, so that a window (half the budget) holds at least 64 blocks when it can: the
    /// more blocks a window draws from, the better it mixes a file whose rows are ordered (by
    /// label, say). A chunked dataset's blocks are whole chunks (as many as fit in 1 MiB) when 64 of
    /// a chunk fit in a window; else each chunk is read in equal parts (its rows divided by the
    /// fewest parts that are small enough, at least 8 rows each), which costs decompressing a
    /// chunk once for each window that reads a part of it. A contiguous dataset's blocks are at
    /// most 4 MiB.
    public static func blockRows(rows: Int, rowBytes: Int, chunkRows: Int?, budget: Int) -> Int {
        let most = max(1, budget / 2 / 64 / max(1, rowBytes))  // rows per block for 64 blocks a window
        guard let chunkRows else { return min(rows, max(1, min(most, (4 << 20) / max(1, rowBytes)))) }
        if chunkRows <= most {
            let chunks = max(1, min(most, (1 << 20) / max(1, rowBytes)) / chunkRows)
            return min(rows, chunkRows * chunks)
        }
        let parts = (1...chunkRows).first { chunkRows % $0 == 0 && (chunkRows / $0 <= most || chunkRows / $0 <= 8) } ?? 1
        return min(rows, chunkRows / parts)
    }

    /// Blocks per window: as many as two windows in `budget` hold (the one trained on and the one
    /// read ahead), but enough that a batch spans at most two windows; all of them when they fit.
    /// Returns a warning when the budget is smaller than that.
    public static func blocksPerWindow(blockRows: Int, blockCount: Int, windowRowBytes: Int, budget: Int,
                                       batchSize: Int) -> (blocks: Int, warning: SettingText?) {
        let fit = budget / max(1, 2 * blockRows * windowRowBytes)
        let least = blockCount <= 1 ? 1 : 1 + (batchSize + blockRows - 1) / blockRows
        let blocks = min(max(fit, least), blockCount)
        guard fit < blocks else { return (blocks, nil) }
        let needs = MemoryBudget.short(2 * blocks * blockRows * windowRowBytes)
        return (blocks, "data: warning: the budget \(MemoryBudget.short(budget)) holds less than two windows of \(blocks) blocks (\(needs)), the least streaming at batch \(batchSize) needs; using that (\(.memoryBudget))")
    }
}

extension DatasetLoader {
    /// Leaves the training features in their file: reads the targets and the validation data, and
    /// passes over the features once (twice when the normalisation needs statistics) to check
    /// them, fit the normalisation and take their fingerprint.
    static func loadStreamed(_ options: LoaderOptions, budget: Int, reason: SettingText,
                             ranks: Communicator = .single) throws(TrainingError) -> LoadedData {
        let source = options.train
        guard options.validationSplit == 0 else {
            throw .invalidSetting(.memoryBudget, "streams \(source.file) \(source.x), which cannot hold out \(.validationSplit) rows; name validation datasets with \(.validationX) and \(.validationY) instead")
        }
        let (file, dataset, chunk) = try openChunked(source)
        defer { HDF5Library.serialized { withExtendedLifetime((file, dataset)) {} } }
        guard dataset.elementType.isNumeric, let identity = FileIdentity.of(source.file) else {
            throw .invalidData(file: source.file, dataset: source.x, message: "holds \(dataset.elementType); expected numbers")
        }
        let (rows, featureCount) = try FeatureChecks.rowsAndFeatures(of: dataset.shape, file: source.file, dataset: source.x)
        try checkStreamedFits(source, rows: rows, budget: budget)
        let type = StoredType(dataset.elementType)
        var targets = try readTargets(source, rows: rows, task: options.task, classCount: nil)
        let validation = try options.validation.map { (validation) throws(TrainingError) in
            try openValidation(validation, featureCount: featureCount, trainX: source.x, targets: targets)
        }
        let chunkRows = chunk?.first
        let (windowBudget, budgetNote) = windowsBudget(budget, residentBytes: targets.values.count * 4 + rows * 4)
        let blockRows = options.windowShape?.blockRows
            ?? Self.blockRows(rows: rows, rowBytes: featureCount * type.bytes, chunkRows: chunkRows, budget: windowBudget)
        let normalization = try fitNormalization(options.normalize, dataset: dataset, source: source, featureCount: featureCount,
                                                 held: nil, heldStart: 0, ranks: ranks)
        let fingerprint = try DataFingerprint.streamed(dataset, source: source, featureCount: featureCount, blockRows: blockRows,
                                                       normalization: normalization, targets: targets.values,
                                                       targetWidth: targets.targetWidth, ranks: ranks)
        let probe = try readProbe(dataset, rows: min(rows, blockRows), featureCount: featureCount,
                                  normalization: normalization, targets: targets)
        var notes: [SettingText] = [
            "data: \(source.file) \(source.x) \(dataset.shape) \(dataset.elementType) → \(rows) rows × \(featureCount) features",
            targets.note,
            "normalize: " + describe(normalization, request: options.normalize, type: dataset.elementType),
        ]
        let (shape, streamingNotes) = windowShape(options, rows: rows, blockRows: blockRows, chunkRows: chunkRows,
                                                  windowRowBytes: featureCount * type.bytes + targets.targetWidth * 4,
                                                  budget: budget, windowBudget: windowBudget, reason: reason)
        notes.insert(contentsOf: streamingNotes + (budgetNote.map { [$0] } ?? []), at: 1)
        let stream = StreamedFeatures(source: source, rows: rows, featureCount: featureCount, type: type, chunkRows: chunkRows,
                                      targets: targets.values, targetWidth: targets.targetWidth, normalization: normalization,
                                      shape: shape, budget: budget,
                                      identity: identity, fingerprint: fingerprint)
        targets.values = []
        let streamedValidation = validation.map {
            StreamedSamples(source: $0.source, rows: $0.rows, featureCount: featureCount, type: $0.type,
                            targets: $0.targets.values, targetWidth: $0.targets.targetWidth, normalization: normalization)
        }
        return LoadedData(train: probe, validation: nil, task: targets.task, outputSize: targets.outputSize,
                          normalization: normalization, notes: notes, stream: stream, streamedValidation: streamedValidation)
    }

    /// The part of the budget the windows get: what the targets and the sample order (Float32 and
    /// Int32 a row, which stay in memory) leave of it, so the whole run fits the budget — but at
    /// least half of it, with a warning when they take more than the other half.
    static func windowsBudget(_ budget: Int, residentBytes: Int) -> (Int, SettingText?) {
        guard residentBytes > budget / 2 else { return (budget - residentBytes, nil) }
        return (budget / 2, "data: warning: the targets and sample order (\(MemoryBudget.short(residentBytes))) stay in memory and take more than half the budget \(MemoryBudget.short(budget)); the windows get half of it (\(.memoryBudget))")
    }

    /// The training features' file and dataset, and the dataset's chunk shape (nil when contiguous).
    private static func openChunked(_ source: DataSource) throws(TrainingError) -> (File, Dataset, [Int]?) {
        do {
            return try HDF5Library.serialized { () throws(HDF5Error) in
                let file = try File.open(source.file)
                let dataset = try file.dataset(source.x)
                return (file, dataset, try dataset.chunkShape())
            }
        } catch {
            throw .hdf5(error.description)
        }
    }

    /// The window shape (the checkpoint's, or the most blocks the budget holds) and the start-up
    /// lines that say how the data is streamed, and why.
    private static func windowShape(_ options: LoaderOptions, rows: Int, blockRows: Int, chunkRows: Int?, windowRowBytes: Int,
                                    budget: Int, windowBudget: Int, reason: SettingText) -> (WindowShape, [SettingText]) {
        var notes: [SettingText] = []
        let blocks: Int
        if let shape = options.windowShape {
            blocks = shape.blocksPerWindow
        } else {
            let choice = blocksPerWindow(blockRows: blockRows, blockCount: (rows + blockRows - 1) / blockRows,
                                         windowRowBytes: windowRowBytes, budget: windowBudget, batchSize: options.batchSize)
            blocks = choice.blocks
            notes += choice.warning.map { [$0] } ?? []
        }
        let chunkText = chunkRows.map { chunk in
            "chunks of \(MemoryBudget.grouped(chunk))" + (chunk > blockRows ? ", each read in \(chunk / blockRows) parts" : "")
        } ?? "contiguous"
        notes.insert("data: streaming \(options.train.x) in blocks of \(MemoryBudget.grouped(blockRows)) rows (\(chunkText)), windows of \(blocks) block\(blocks == 1 ? "" : "s"), budget \(MemoryBudget.short(budget)): " + reason, at: 0)
        return (WindowShape(blockRows: blockRows, blocksPerWindow: blocks), notes)
    }

    /// Refuses, before reading anything, streamed data whose rows cannot be indexed (Int32) or whose
    /// targets (Float32) and sample order (Int32 a row), which stay in memory, do not fit beside the budget.
    private static func checkStreamedFits(_ source: DataSource, rows: Int, budget: Int) throws(TrainingError) {
        guard rows <= Int(Int32.max) else {
            throw .invalidData(file: source.file, dataset: source.x, message: "has \(MemoryBudget.grouped(rows)) rows; a run can train on at most 2,147,483,647")
        }
        let yShape = try? HDF5Library.serialized { () throws(HDF5Error) in try File.open(source.file).dataset(source.y).shape }
        guard let yShape else { return }  // reading the targets names what is missing
        let resident = MemoryBudget.product(yShape + [4]).flatMap { MemoryBudget.sum([$0, rows * 4, budget]) }
        guard let resident, resident <= MemoryBudget.available else {
            throw .invalidData(file: source.file, dataset: source.y, message: "of shape \(yShape), with the sample order, needs \(MemoryBudget.describe(resident.map { $0 - budget })) of memory beside the \(MemoryBudget.short(budget)) of streamed windows, more than \(MemoryBudget.limitText)")
        }
    }

    /// Checks validation data against the training data without reading its features; reads its targets.
    private static func openValidation(_ source: DataSource, featureCount: Int, trainX: String,
                                       targets: Targets) throws(TrainingError) -> (source: DataSource, rows: Int, type: StoredType, targets: Targets) {
        let x = try HDF5Library.serialized { () throws(TrainingError) in try openFeatures(source) }
        defer { HDF5Library.serialized { withExtendedLifetime(x) {} } }
        let y = try validationTargets(source, featureCount: x.featureCount, rows: x.rows, trainingFeatureCount: featureCount,
                                      trainX: trainX, targets: targets)
        return (source, x.rows, x.type, y)
    }

    /// The first `rows` samples in memory, normalised: the probe diagnostics look at.
    private static func readProbe(_ dataset: Dataset, rows: Int, featureCount: Int, normalization: Normalization,
                                  targets: Targets) throws(TrainingError) -> SampleSet {
        var probe: FeatureMatrix?
        try forEachBlock(of: dataset, source: DataSource(file: dataset.file, x: dataset.path, y: ""), featureCount: featureCount,
                         blockRows: rows, normalization: normalization, upTo: rows) { block, _ in probe = block }
        return SampleSet(matrix: probe!, targets: Array(targets.values[0..<(rows * targets.targetWidth)]),
                         targetWidth: targets.targetWidth)
    }
}

extension MemoryBudget {
    /// `bytes` as "512 MiB", "1.5 GiB" or "64 KiB".
    public static func short(_ bytes: Int) -> String {
        let units: [(String, Double)] = [("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024)]
        for (name, size) in units where Double(bytes) >= size {
            let value = Double(bytes) / size
            return value == value.rounded() || value >= 100 ? "\(Int(value.rounded())) \(name)" : "\(String(format2: value, 1)) \(name)"
        }
        return "\(bytes) bytes"
    }

    /// `value` with its thousands grouped: "1,200,000".
    public static func grouped(_ value: Int) -> String {
        var digits = String(value), grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits = String(digits.dropLast(3))
        }
        return digits + grouped
    }
}
