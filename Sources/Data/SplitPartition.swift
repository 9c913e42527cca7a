import DataParallel
import HDF5
import NeuralNet
import Settings

/// Which rows of the training file `validationSplit` holds out, as one process chooses them: a
/// seeded shuffle of all N row numbers, its last ⌈N·split⌉ held out. Both lists are sorted (the
/// order the samples keep). Indices only: every rank computes them, cheaply, before reading rows.
public struct ValidationSplit: Sendable, Equatable {
    /// File rows that stay training rows, in increasing order (position p is training sample p).
    public let training: [Int]
    /// File rows held out for validation, in increasing order.
    public let validation: [Int]

    /// Refuses a fraction that leaves no training or no validation rows, naming `validationSplit`.
    public init(rows: Int, fraction: Double, seed: UInt64) throws(TrainingError) {
        let held = Int((Double(rows) * fraction).rounded(.up))
        guard held >= 1, held < rows else {
            throw .invalidSetting(.validationSplit, "\(fraction) leaves no training or no validation rows of \(rows)")
        }
        var order = (0..<Int32(rows)).map { $0 }
        var rng = Xoshiro256(seed: seed, stream: "validation-split")
        rng.shuffle(&order)
        let indices = order.map(Int.init)
        training = indices[..<(rows - held)].sorted()
        validation = indices[(rows - held)...].sorted()
    }
}

extension DatasetLoader {
    /// `loadPartitioned` with rows held out for validation: the held-out rows are one process's
    /// (`ValidationSplit`); this rank reads only the file rows of its part of the training samples
    /// (⌊Nₜ·r/R⌋ ..< ⌊Nₜ·(r+1)/R⌋ of the Nₜ training rows, in file order) and of the validation rows
    /// it evaluates, each a block of the file at a time, keeping only those rows. The statistics
    /// are over the training rows (`FeatureStatistics`), the fingerprint the whole training set's.
    /// Nil, having read no features, when there are fewer training rows than ranks.
    static func loadSplitPartitioned(_ options: LoaderOptions, ranks: Communicator,
                                     placementNote: SettingText?) throws(TrainingError) -> LoadedData? {
        let source = options.train
        let x = try HDF5Library.serialized { () throws(TrainingError) in try openFeatures(source) }
        defer { HDF5Library.serialized { withExtendedLifetime(x) {} } }
        let split = try ValidationSplit(rows: x.rows, fraction: options.validationSplit, seed: options.seed)
        let trainingRows = split.training.count
        guard trainingRows >= ranks.size else { return nil }
        var all = try readTargets(source, rows: x.rows, task: options.task, classCount: nil)
        let width = all.targetWidth
        let targets = Self.rows(split.training, of: all.values, width: width)
        let held = BatchRowsExchange.heldRows(ofRank: ranks.rank, ranks: ranks.size, totalRows: trainingRows)
        let fileRows = split.training[held]
        let part = ValidationPart.of(rank: ranks.rank, ranks: ranks.size, totalRows: split.validation.count)
        // One pass over the file for this rank's training and validation rows (about the same part of it).
        let read = try readRows([fileRows, split.validation[part.rows]], of: x.dataset, source: source,
                                featureCount: x.featureCount, type: x.type)
        var (matrix, validationMatrix) = (read[0], read[1])
        let normalization = try fitSplitNormalization(options.normalize, x: x, source: source, split: split,
                                                      held: (matrix, held.lowerBound), ranks: ranks)
        matrix.normalize(with: normalization)
        let train = SampleSet(matrix: matrix, targets: Array(targets[(held.lowerBound * width)..<(held.upperBound * width)]),
                              targetWidth: width)
        let fingerprint = try DataFingerprint.partitioned(train, held: held, totalRows: trainingRows, targets: targets, ranks: ranks)
        validationMatrix.normalize(with: normalization)
        let validation = SampleSet(matrix: validationMatrix, targets: Self.rows(split.validation[part.rows], of: all.values, width: width),
                                   targetWidth: width)
        var probe: SampleSet?
        let probeRows = 0..<min(trainingRows, RowPartition.probeRows)
        if ranks.isReporting && held.count < probeRows.count {  // rank 0 holds the first rows, and alone prints
            var features = try readRows(split.training[probeRows], of: x.dataset, source: source, featureCount: x.featureCount, type: x.type)
            features.normalize(with: normalization)
            probe = SampleSet(matrix: features, targets: Array(targets[0..<(probeRows.count * width)]), targetWidth: width)
        }
        let span = fileRows.isEmpty ? "none" : "\(fileRows.first!)...\(fileRows.last!)"
        let notes: [SettingText] = [
            "data: \(source.file) \(source.x) \(x.shape) \(x.dataset.elementType) → \(trainingRows) rows × \(x.featureCount) features",
            "data: rank \(ranks.rank) holds rows \(held.lowerBound)..<\(held.upperBound) of \(trainingRows) (\(MemoryBudget.short(matrix.byteCount))), file rows \(span) but those held out; each step the \(ranks.size) ranks exchange the batch's rows",
            part.note(rank: ranks.rank, bytes: validation.matrix.byteCount),
        ] + (placementNote.map { [$0] } ?? []) + [
            all.note,
            "normalize: " + describe(normalization, request: options.normalize, type: x.dataset.elementType),
            "validation: \(split.validation.count) of \(x.rows) training rows held out (\(.validationSplit) \(options.validationSplit))",
        ]
        let partition = RowPartition(rows: held, totalRows: trainingRows, targets: targets, fingerprint: fingerprint, probe: probe)
        all.values = []
        return LoadedData(train: train, validation: validation, task: all.task, outputSize: all.outputSize,
                          normalization: normalization, notes: notes, partition: partition, validationPart: part)
    }

    /// The normalisation of the training rows of `split` across `ranks`: positions in `held` from memory, the
    /// rest of this rank's leaves read from the file.
    private static func fitSplitNormalization(_ request: Normalization.Request,
                                              x: (file: File, dataset: Dataset, shape: [Int], rows: Int, featureCount: Int, type: StoredType),
                                              source: DataSource, split: ValidationSplit, held: (FeatureMatrix, Int),
                                              ranks: Communicator) throws(TrainingError) -> Normalization {
        guard request == .standardize || request == .scale else {
            return Normalization.withoutStatistics(request, unsignedMaximum: x.dataset.elementType.unsignedMaximum)
        }
        let statistics = FeatureStatistics(request, featureCount: x.featureCount, totalRows: split.training.count)
        return try statistics.fit(ranks: ranks, held: held.0, heldStart: held.1,
                                  groupRows: statisticsGroupRows(featureCount: x.featureCount, type: x.type)) { (positions) throws(TrainingError) in
            try readRows(split.training[positions], of: x.dataset, source: source, featureCount: x.featureCount, type: x.type)
        }
    }

    /// The targets of `rows` (row numbers), in that order, from every row's `values`.
    static func rows(_ rows: some Collection<Int>, of values: [Float], width: Int) -> [Float] {
        var picked: [Float] = []
        picked.reserveCapacity(rows.count * width)
        for row in rows { picked.append(contentsOf: values[(row * width)..<((row + 1) * width)]) }
        return picked
    }

    /// The features of file rows `rows` (increasing), in their stored type: the file is read a block
    /// of about 4 MiB at a time (ending at a chunk's end) from each wanted row, and only the wanted
    /// rows are kept. Refuses a
    /// value that is not finite as Float32, naming its row in the file.
    static func readRows(_ rows: ArraySlice<Int>, of dataset: Dataset, source: DataSource, featureCount: Int,
                         type: StoredType) throws(TrainingError) -> FeatureMatrix {
        try readRows([rows], of: dataset, source: source, featureCount: featureCount, type: type)[0]
    }

    /// As `readRows(_:of:source:featureCount:type:)` for several lists of file rows (each increasing)
    /// in one pass over the file: a block read for one list serves the others' rows in it too.
    static func readRows(_ lists: [ArraySlice<Int>], of dataset: Dataset, source: DataSource, featureCount: Int,
                         type: StoredType) throws(TrainingError) -> [FeatureMatrix] {
        let count = lists.map(\.count).reduce(0, +)
        let bytes = MemoryBudget.product([count, featureCount, type.bytes])
        guard let bytes, bytes <= MemoryBudget.available else {
            throw .invalidData(file: source.file, dataset: source.x, message: "\(count) rows, this rank's part, need \(MemoryBudget.describe(bytes)) of memory, more than \(MemoryBudget.limitText); run more ranks or stream the data")
        }
        let group = statisticsGroupRows(featureCount: featureCount, type: type)
        let last = lists.compactMap(\.last).max() ?? 0
        let chunk = max(1, ((try? HDF5Library.serialized { () throws(HDF5Error) in try dataset.chunkShape() }) ?? nil)?.first ?? 1)
        func gather<T: HDF5Scalar>(_: T.Type) throws(HDF5Error) -> [[T]] {
            var kept = lists.map { list in
                var values: [T] = []
                values.reserveCapacity(list.count * featureCount)
                return values
            }
            var next = lists.map(\.startIndex)
            while let first = lists.indices.compactMap({ next[$0] < lists[$0].endIndex ? lists[$0][next[$0]] : nil }).min() {
                let aligned = (first + group) / chunk * chunk  // a block ends where a chunk does, when it can
                let end = min(aligned > first ? aligned : first + group, last + 1)
                let block = try HDF5Library.serialized { () throws(HDF5Error) in try dataset.read(T.self, rows: first..<end) }
                for k in lists.indices {
                    while next[k] < lists[k].endIndex && lists[k][next[k]] < end {
                        let row = lists[k][next[k]] - first
                        kept[k].append(contentsOf: block[(row * featureCount)..<((row + 1) * featureCount)])
                        next[k] += 1
                    }
                }
            }
            return kept
        }
        let matrices: [FeatureMatrix]
        do {
            switch type {
            case .uint8: matrices = try gather(UInt8.self).map { FeatureMatrix(.uint8($0), featureCount: featureCount) }
            case .float32: matrices = try gather(Float.self).map { FeatureMatrix(.float32($0), featureCount: featureCount) }
            case .float64: matrices = try gather(Double.self).map { FeatureMatrix(.float64($0), featureCount: featureCount) }
            }
        } catch {
            throw .hdf5(error.description)
        }
        for (matrix, rows) in zip(matrices, lists) {
            if let (index, value) = matrix.firstNonFinite() {
                throw .invalidData(file: source.file, dataset: source.x,
                                   message: "row \(rows[rows.startIndex + index / featureCount]) holds \(value); features must be finite numbers")
            }
        }
        return matrices
    }
}
