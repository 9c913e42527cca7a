import DataParallel
import HDF5
import Settings

/// The validation rows this rank holds in a run across processes: the rows of the evaluation
/// chunks it computes (`Predictor.evaluatedRows`), of `totalRows` in the whole validation set.
/// `LoadedData.validation` then holds only those rows; the chunks' sums are all-gathered, so the
/// loss and accuracy are one process's.
public struct ValidationPart: Sendable, Equatable {
    /// The rows of the validation set this rank holds (possibly none).
    public let rows: Range<Int>
    /// Rows of the whole validation set.
    public let totalRows: Int

    public init(rows: Range<Int>, totalRows: Int) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= totalRows, "rows \(rows) outside the \(totalRows) validation rows")
        (self.rows, self.totalRows) = (rows, totalRows)
    }

    /// Rank `rank` of `ranks`'s part of `totalRows` validation rows.
    public static func of(rank: Int, ranks: Int, totalRows: Int) -> ValidationPart {
        ValidationPart(rows: Predictor.evaluatedRows(ofRank: rank, ranks: ranks, rows: totalRows), totalRows: totalRows)
    }

    /// "data: rank 1 holds validation rows 256..<360 of 360 (…)": what a rank holds, for its start-up note.
    func note(rank: Int, bytes: Int) -> SettingText {
        guard !rows.isEmpty else { return "data: rank \(rank) holds none of the \(totalRows) validation rows (it evaluates none of their chunks)" }
        return "data: rank \(rank) holds validation rows \(rows.lowerBound)..<\(rows.upperBound) of \(totalRows) (\(MemoryBudget.short(bytes))), the chunks it evaluates"
    }
}

extension DatasetLoader {
    /// Reads the validation data, checked against the training data's. Across processes, this rank
    /// reads (one hyperslab) and holds only the rows of the chunks it evaluates, with its part;
    /// every target is read and checked, then only those rows' kept.
    static func readValidation(_ source: DataSource, featureCount: Int, trainX: String, targets: Targets,
                               ranks: Communicator) throws(TrainingError) -> (samples: SampleSet, part: ValidationPart?) {
        guard ranks.isDistributed else {
            return (try readValidation(source, featureCount: featureCount, trainX: trainX, targets: targets), nil)
        }
        let x = try HDF5Library.serialized { () throws(TrainingError) in try openFeatures(source) }
        defer { HDF5Library.serialized { withExtendedLifetime(x) {} } }
        let y = try validationTargets(source, featureCount: x.featureCount, rows: x.rows, trainingFeatureCount: featureCount,
                                      trainX: trainX, targets: targets)
        let part = ValidationPart.of(rank: ranks.rank, ranks: ranks.size, totalRows: x.rows)
        let matrix = try readHeldRows(x.dataset, source: source, rows: part.rows, featureCount: x.featureCount, type: x.type)
        let width = y.targetWidth
        let kept = Array(y.values[(part.rows.lowerBound * width)..<(part.rows.upperBound * width)])
        return (SampleSet(matrix: matrix, targets: kept, targetWidth: width), part)
    }
}

extension StreamedSamples {
    /// Calls `body` with each block of `blockRows` rows (whole evaluation chunks) in order, but
    /// reads only the rows of it whose chunks `predictor` evaluates on this rank
    /// (`Predictor.evaluatedRows`; all of them for one process): `body` gets those rows (possibly
    /// none; features in their stored type, normalised as gathered), the block's first row, its
    /// row count, and where this rank's rows start in it. Refuses values that are not finite.
    public func forEachEvaluatedBlock(blockRows: Int, predictor: Predictor,
                                      _ body: (FeatureMatrix, _ first: Int, _ count: Int, _ heldFrom: Int) throws(TrainingError) -> Void) throws(TrainingError) {
        precondition(blockRows % Predictor.chunkRows == 0, "evaluation blocks are whole chunks")
        let source = source, featureCount = featureCount, type = type
        // Released by setting it to nil under the lock (a reader thread may be using HDF5).
        var opened: (file: File, dataset: Dataset, shape: [Int], rows: Int, featureCount: Int, type: StoredType)?
        opened = try HDF5Library.serialized { () throws(TrainingError) in try DatasetLoader.openFeatures(source) }
        defer { HDF5Library.serialized { opened = nil } }
        for first in stride(from: 0, to: rows, by: blockRows) {
            let count = min(blockRows, rows - first)
            let held = predictor.evaluatedRows(of: count)
            var block = try DatasetLoader.readHeldRows(opened!.dataset, source: source,
                                                       rows: (first + held.lowerBound)..<(first + held.upperBound),
                                                       featureCount: featureCount, type: type)
            if normalization != .none { block.normalize(with: normalization) }
            try body(block, first, count, held.lowerBound)
        }
    }
}
