import DataParallel
import HDF5
import NeuralNet
import Settings

/// The part of the training rows this rank holds in a run across processes (mpirun), with what
/// the run needs of the whole set: every row's targets and the whole set's fingerprint.
///
/// Rank r of R holds samples ⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋ (`LoadedData.train` is those rows); each step
/// the ranks exchange the batch's rows (`BatchRowsExchange`).
public struct RowPartition: Sendable {
    /// The samples this rank holds.
    public let rows: Range<Int>
    /// Training rows of the whole set (N).
    public let totalRows: Int
    /// Every sample's targets (N × targetWidth): small, so every rank keeps them all.
    public let targets: [Float]
    /// The whole set's fingerprint, as one process computes it.
    public let fingerprint: DataFingerprint
    /// On rank 0, which prints diagnostics, the set's first `probeRows` rows (or all, when fewer),
    /// normalised, when it holds fewer: what diagnostics probe the network with, as one process does.
    public let probe: SampleSet?

    /// Rows a probe of the training data holds (`--diagnostics` looks at the first 512).
    public static let probeRows = 512
}

extension LoadedData {
    /// The training rows diagnostics probe the network with: the set's first rows, as one process has them.
    public var probe: SampleSet { partition?.probe ?? train }
}

extension DatasetLoader {
    /// Whether the training rows are spread over `ranks`: across processes (with rows held out for
    /// validation too: `loadSplitPartitioned`).
    static func partitions(_ options: LoaderOptions, over ranks: Communicator) -> Bool {
        ranks.isDistributed
    }

    /// Across processes, before any collective of the loader: every rank must keep the training data
    /// the same way (spread in memory, whole in memory, or streamed), or their collectives would not
    /// match. One all-gather; a rank that differs from rank 0 fails, naming itself.
    static func agreePlacement(_ placement: DataPlacement, partitioned: Bool, ranks: Communicator) throws(TrainingError) {
        guard ranks.isDistributed else { return }
        let kept = switch placement {
        case .stream: "streamed from its file"
        case .inMemory: partitioned ? "in memory, spread over the ranks" : "in memory"
        }
        let all = try ranks.allgather(Array(kept.utf8))
        guard all[ranks.rank] == all[0] else {
            throw ranks.failure("keeps the training data \(kept), rank 0 \(String(decoding: all[0], as: UTF8.self)): its settings or memory differ from rank 0's; every rank must run the same command on the same data")
        }
    }

    /// Reads this rank's part of the training X (one hyperslab, in its stored type), every target,
    /// and the validation rows it evaluates; fits the normalisation over the whole X (when it needs
    /// statistics, each rank summing about its part: `FeatureStatistics`) and computes the whole set's fingerprint with the other ranks (a collective).
    /// Nil, having read nothing, when there are fewer rows than ranks (each rank then holds them all).
    static func loadPartitioned(_ options: LoaderOptions, ranks: Communicator,
                                placementNote: SettingText?) throws(TrainingError) -> LoadedData? {
        if options.validationSplit > 0 { return try loadSplitPartitioned(options, ranks: ranks, placementNote: placementNote) }
        let source = options.train
        let (file, dataset, shape, rows, featureCount, type) = try HDF5Library.serialized { () throws(TrainingError) in
            try openFeatures(source)
        }
        defer { HDF5Library.serialized { withExtendedLifetime((file, dataset)) {} } }
        guard rows >= ranks.size else { return nil }
        let held = BatchRowsExchange.heldRows(ofRank: ranks.rank, ranks: ranks.size, totalRows: rows)
        var targets = try readTargets(source, rows: rows, task: options.task, classCount: nil)
        var matrix = try readHeldRows(dataset, source: source, rows: held, featureCount: featureCount, type: type)
        let normalization = try fitNormalization(options.normalize, dataset: dataset, source: source, featureCount: featureCount,
                                                 held: matrix, heldStart: held.lowerBound, ranks: ranks)
        matrix.normalize(with: normalization)
        let width = targets.targetWidth
        let train = SampleSet(matrix: matrix, targets: Array(targets.values[(held.lowerBound * width)..<(held.upperBound * width)]),
                              targetWidth: width)
        let fingerprint = try DataFingerprint.partitioned(train, held: held, totalRows: rows, targets: targets.values, ranks: ranks)
        let read = try options.validation.map { (validation) throws(TrainingError) in
            try readValidation(validation, featureCount: featureCount, trainX: source.x, targets: targets, ranks: ranks)
        }
        var validation = read?.samples
        validation?.normalize(with: normalization)
        let notes: [SettingText] = [
            "data: \(source.file) \(source.x) \(shape) \(dataset.elementType) → \(rows) rows × \(featureCount) features",
            "data: rank \(ranks.rank) holds rows \(held.lowerBound)..<\(held.upperBound) of \(rows) (\(MemoryBudget.short(matrix.byteCount))); each step the \(ranks.size) ranks exchange the batch's rows",
        ] + (read?.part.map { [$0.note(rank: ranks.rank, bytes: validation?.matrix.byteCount ?? 0)] } ?? [])
          + (placementNote.map { [$0] } ?? []) + [
            targets.note,
            "normalize: " + describe(normalization, request: options.normalize, type: dataset.elementType),
        ]
        let probeRows = 0..<min(rows, RowPartition.probeRows)
        var probe: SampleSet?
        if ranks.isReporting && held.count < probeRows.count {  // rank 0 holds the first rows, and alone prints
            var features = try readHeldRows(dataset, source: source, rows: probeRows, featureCount: featureCount, type: type)
            features.normalize(with: normalization)
            probe = SampleSet(matrix: features, targets: Array(targets.values[0..<(probeRows.count * width)]), targetWidth: width)
        }
        let partition = RowPartition(rows: held, totalRows: rows, targets: targets.values, fingerprint: fingerprint, probe: probe)
        targets.values = []
        return LoadedData(train: train, validation: validation, task: targets.task, outputSize: targets.outputSize,
                          normalization: normalization, notes: notes, partition: partition, validationPart: read?.part)
    }

    /// Reads samples `rows` of the features dataset in their stored type and refuses a value that
    /// is not finite as Float32, naming its row in the whole dataset.
    static func readHeldRows(_ dataset: Dataset, source: DataSource, rows: Range<Int>, featureCount: Int,
                                     type: StoredType) throws(TrainingError) -> FeatureMatrix {
        let bytes = MemoryBudget.product([rows.count, featureCount, type.bytes])
        guard let bytes, bytes <= MemoryBudget.available else {
            throw .invalidData(file: source.file, dataset: source.x, message: "rows \(rows.lowerBound)..<\(rows.upperBound), this rank's part, need \(MemoryBudget.describe(bytes)) of memory, more than \(MemoryBudget.limitText); run more ranks or stream the data")
        }
        let matrix: FeatureMatrix
        do {
            matrix = try HDF5Library.serialized { () throws(HDF5Error) -> FeatureMatrix in
                switch type {
                case .uint8: FeatureMatrix(.uint8(try dataset.read(UInt8.self, rows: rows)), featureCount: featureCount)
                case .float32: FeatureMatrix(.float32(try dataset.read(Float.self, rows: rows)), featureCount: featureCount)
                case .float64: FeatureMatrix(.float64(try dataset.read(Double.self, rows: rows)), featureCount: featureCount)
                }
            }
        } catch {
            throw .hdf5(error.description)
        }
        if let (index, value) = matrix.firstNonFinite() {
            throw .invalidData(file: source.file, dataset: source.x,
                               message: "row \(rows.lowerBound + index / featureCount) holds \(value); features must be finite numbers")
        }
        return matrix
    }
}

extension DataFingerprint {
    /// The positions of the whole matrix's values that `init(_:)` samples (every `stride`-th flat
    /// index) and that fall in samples `rows`: indices into the sequence of sampled values.
    static func sampled(rows: Range<Int>, featureCount: Int, stride: Int) -> Range<Int> {
        let (first, end) = (rows.lowerBound * featureCount, rows.upperBound * featureCount)
        return ((first + stride - 1) / stride)..<((end + stride - 1) / stride)
    }

    /// The stride `init(_:)` samples `values` feature values with.
    static func stride(values: Int) -> Int { max(1, values / 1_000_000) }

    /// The fingerprint of the whole training set when each rank holds only its part (`held`, as
    /// `local`): every rank takes the sampled values in its rows, one all-gather puts them in order
    /// on every rank, and the hash is `init(_:)`'s over the whole set. A collective.
    static func partitioned(_ local: SampleSet, held: Range<Int>, totalRows: Int, targets: [Float],
                            ranks: Communicator) throws(TrainingError) -> DataFingerprint {
        try gathered(totalRows: totalRows, featureCount: local.featureCount, targets: targets, targetWidth: local.targetWidth,
                     ranks: ranks) { (stride, bits) in
            takeSampledValues(local, held: held, stride: stride, into: bits + sampled(rows: held, featureCount: local.featureCount,
                                                                                     stride: stride).lowerBound)
        }
    }

    /// `init(_:)`'s fingerprint of a set of `totalRows` rows of which this rank sees its part,
    /// ⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋: `takeOwn(stride, bits)` writes the bit patterns of the sampled values
    /// (every `stride`-th of the whole matrix) in this rank's rows at their places in `bits` (all
    /// sampled values, in order); one all-gather brings the others' (a collective across ranks).
    static func gathered(totalRows: Int, featureCount: Int, targets: [Float], targetWidth: Int, ranks: Communicator,
                         takeOwn: (_ stride: Int, _ bits: UnsafeMutablePointer<UInt32>) throws(TrainingError) -> Void)
        throws(TrainingError) -> DataFingerprint {
        let stride = stride(values: totalRows * featureCount)
        let parts = (0..<ranks.size).map { r in
            sampled(rows: BatchRowsExchange.heldRows(ofRank: r, ranks: ranks.size, totalRows: totalRows),
                    featureCount: featureCount, stride: stride)
        }
        let total = parts.last?.upperBound ?? 0
        let bits = UnsafeMutablePointer<UInt32>.allocate(capacity: max(total, 1))
        defer { bits.deallocate() }
        bits.initialize(repeating: 0, count: max(total, 1))
        try takeOwn(stride, bits)
        if ranks.isDistributed {
            let counts = parts.map { Int32($0.count) }, displacements = parts.map { Int32($0.lowerBound) }
            try ranks.allgatherInPlace(bits, counts: counts, displacements: displacements, type: .float)
        }
        return hash(sampled: UnsafeBufferPointer(start: bits, count: total), totalRows: totalRows, featureCount: featureCount,
                    targets: targets, targetWidth: targetWidth)
    }

    /// The bit patterns of the sampled values (every `stride`-th of the whole matrix) that fall in
    /// samples `held`, as the network sees them, from `local` (those samples) into `output`.
    static func takeSampledValues(_ local: SampleSet, held: Range<Int>, stride: Int, into output: UnsafeMutablePointer<UInt32>) {
        let range = sampled(rows: held, featureCount: local.featureCount, stride: stride)
        let start = held.lowerBound * local.featureCount
        local.matrix.withRows { features in
            for k in range { output[k - range.lowerBound] = features.value(at: k * stride - start).bitPattern }
        }
    }

    /// `init(_:)`'s hash from all the sampled values' bit patterns, in order, and every target.
    static func hash(sampled bits: UnsafeBufferPointer<UInt32>, totalRows: Int, featureCount: Int, targets: [Float],
                     targetWidth: Int) -> DataFingerprint {
        var fnv = FNV1a()
        for size in [totalRows, featureCount, targetWidth] { fnv.mix(UInt64(size)) }
        for value in bits { fnv.mix(UInt64(value)) }
        let targetStride = max(1, targets.count / 1_000_000)
        for i in Swift.stride(from: 0, to: targets.count, by: targetStride) { fnv.mix(UInt64(targets[i].bitPattern)) }
        return DataFingerprint(rows: totalRows, featureCount: featureCount, targetWidth: targetWidth, hash: fnv.hash)
    }
}
