import DataParallel
import HDF5
import NeuralNet
import Settings

/// FNV-1a over 64-bit words, byte by byte: the hash `DataFingerprint` uses.
struct FNV1a {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func mix(_ word: UInt64) {
        var word = word
        for _ in 0..<8 {
            hash = (hash ^ (word & 0xFF)) &* 0x0000_0100_0000_01B3
            word >>= 8
        }
    }
}

extension DatasetLoader {
    /// Reads the rows of `dataset` in order, `blockRows` at a time, in their stored type, calling
    /// `body` with each block as a matrix (normalised by `normalization`) and its first row.
    /// Failures name the file, dataset and rows.
    static func forEachBlock(of dataset: Dataset, source: DataSource, featureCount: Int, blockRows: Int,
                             normalization: Normalization, from start: Int = 0, upTo limit: Int? = nil,
                             _ body: (FeatureMatrix, Int) throws(TrainingError) -> Void) throws(TrainingError) {
        let rows = min(dataset.rowCount, limit ?? dataset.rowCount)
        for first in stride(from: start, to: rows, by: blockRows) {
            let range = first..<min(first + blockRows, rows)
            var block: FeatureMatrix
            do {
                block = try HDF5Library.serialized { () throws(HDF5Error) -> FeatureMatrix in
                    switch StoredType(dataset.elementType) {
                    case .uint8: FeatureMatrix(.uint8(try dataset.read(UInt8.self, rows: range)), featureCount: featureCount)
                    case .float32: FeatureMatrix(.float32(try dataset.read(Float.self, rows: range)), featureCount: featureCount)
                    case .float64: FeatureMatrix(.float64(try dataset.read(Double.self, rows: range)), featureCount: featureCount)
                    }
                }
            } catch {
                throw .hdf5(error.description)  // names the file, the dataset and the rows
            }
            if normalization != .none { block.normalize(with: normalization) }
            try body(block, first)
        }
    }
}

extension DataFingerprint {
    /// The fingerprint of streamed training data, read block by block: the same hash as
    /// `init(_:)` computes for the same samples in memory. The pass also checks that every value
    /// is finite. Across processes each rank reads and checks only its part of the rows
    /// (⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋), and one all-gather puts the sampled values in order on every
    /// rank (a collective).
    static func streamed(_ dataset: Dataset, source: DataSource, featureCount: Int, blockRows: Int,
                         normalization: Normalization, targets: [Float], targetWidth: Int,
                         ranks: Communicator = .single) throws(TrainingError) -> DataFingerprint {
        let rows = dataset.rowCount
        let held = BatchRowsExchange.heldRows(ofRank: ranks.rank, ranks: ranks.size, totalRows: rows)
        return try gathered(totalRows: rows, featureCount: featureCount, targets: targets, targetWidth: targetWidth,
                            ranks: ranks) { (stride, bits) throws(TrainingError) in
            try DatasetLoader.forEachBlock(of: dataset, source: source, featureCount: featureCount, blockRows: blockRows,
                                           normalization: normalization, from: held.lowerBound,
                                           upTo: held.upperBound) { (block, first) throws(TrainingError) in
                if let (index, value) = block.firstNonFinite() {
                    throw .invalidData(file: source.file, dataset: source.x,
                                       message: "row \(first + index / featureCount) holds \(value); features must be finite numbers")
                }
                let start = first * featureCount
                block.withRows { features in
                    for k in sampled(rows: first..<(first + block.count / featureCount), featureCount: featureCount, stride: stride) {
                        bits[k] = features.value(at: k * stride - start).bitPattern
                    }
                }
            }
        }
    }
}

extension DatasetLoader {
    /// Opens a features dataset for reading in blocks: the file (keep it alive while reading), the
    /// dataset, its shape, rows and features per row, and the type blocks are kept in.
    public static func openFeatures(_ source: DataSource) throws(TrainingError) -> (file: File, dataset: Dataset, shape: [Int], rows: Int, featureCount: Int, type: StoredType) {
        let file: File, dataset: Dataset
        do {
            file = try File.open(source.file)
            dataset = try file.dataset(source.x)
        } catch {
            throw .hdf5(error.description)
        }
        guard dataset.elementType.isNumeric else {
            throw .invalidData(file: source.file, dataset: source.x, message: "holds \(dataset.elementType); expected numbers")
        }
        let (rows, featureCount) = try FeatureChecks.rowsAndFeatures(of: dataset.shape, file: source.file, dataset: source.x)
        return (file, dataset, dataset.shape, rows, featureCount, StoredType(dataset.elementType))
    }
}
