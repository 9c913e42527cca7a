@testable import Data
import DataParallel
import HDF5
import NeuralNet
import Settings
import XCTest

/// The arithmetic that lets each rank of a run across processes read only its part of the data:
/// the statistics tree, the validation rows a rank evaluates, the rows held out by a split, and
/// the reader that keeps only wanted rows.
final class RankReadsTests: XCTestCase {
    private let folder = TemporaryFolder()

    /// Values with a wide spread of magnitudes, so that the order of the sums shows in their bits.
    private func values(rows: Int, features: Int) -> [Float] {
        var rng = Xoshiro256(seed: 11)
        return (0..<(rows * features)).map { i in
            Float(rng.nextUnitDouble() * 2 - 1) * Float(1 << (i % 23)) + Float(i % features)
        }
    }

    /// The tree's Σx and Σx² agree with an independent Float64 sum in row order to Float64
    /// rounding, so the mean and standard deviation are the reference's to Float32 rounding.
    func testBlockedStandardisationMatchesAnIndependentFloat64Computation() {
        for (rows, features) in [(1, 3), (7, 1), (1000, 13), (5000, 2)] {
            let x = values(rows: rows, features: features)
            let statistics = FeatureStatistics(.standardize, featureCount: features, totalRows: rows)
            guard case .standardize(let mean, let std) = statistics.fit(value: { x[$0] }) else { return XCTFail("not standardised") }
            for j in 0..<features {
                let column = (0..<rows).map { Double(x[$0 * features + j]) }
                let mu = column.reduce(0, +) / Double(rows)
                let variance = column.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(rows)
                XCTAssertEqual(Double(mean[j]), mu, accuracy: abs(mu) * 1e-6 + 1e-9, "\(rows)×\(features) feature \(j)")
                if variance > 0 {
                    XCTAssertEqual(Double(std[j]), variance.squareRoot(), accuracy: variance.squareRoot() * 1e-5, "\(rows)×\(features) feature \(j)")
                }
            }
        }
    }

    /// Any number of ranks, each computing its leaves' nodes, combine to the bits one process gets,
    /// for sums and for the largest |x|.
    func testEveryRankCountCombinesToOneProcesssBits() {
        for (rows, features) in [(5, 4000), (1437, 64), (2000, 7), (3, 9000)] {
            let x = values(rows: rows, features: features)
            for request in [Normalization.Request.standardize, .scale] {
                let statistics = FeatureStatistics(request, featureCount: features, totalRows: rows)
                let whole = statistics.fit(value: { x[$0] })
                for ranks in 1...6 {
                    var known: [FeatureStatistics.Node: [Double]] = [:]
                    var covered = 0
                    for rank in 0..<ranks {
                        let leaves = statistics.leaves(ofRank: rank, ranks: ranks)
                        XCTAssertEqual(leaves.lowerBound, covered, "the ranks' leaves follow each other")
                        covered = leaves.upperBound
                        let nodes = statistics.cover(leaves)
                        XCTAssertEqual(nodes.map { statistics.leaves(of: $0).count }.reduce(0, +), leaves.count)
                        for node in nodes {
                            known[node] = try! statistics.value(of: node) { (leaf: Int) throws(TrainingError) -> [Double] in
                                var partial = statistics.emptyPartial
                                statistics.add(rows: statistics.rows(of: leaf..<(leaf + 1)), to: &partial) { x[$0] }
                                return partial
                            }
                        }
                    }
                    XCTAssertEqual(covered, statistics.leafCount)
                    XCTAssertEqual(statistics.normalization(root: statistics.root(from: known)), whole, "\(rows)×\(features), \(ranks) ranks, \(request)")
                }
            }
        }
    }

    /// A rank reads past its rows at most a leaf less one row; the ranks' nodes are few.
    func testARanksLeavesStayNearItsRowsAndItsNodesAreFew() {
        let statistics = FeatureStatistics(.standardize, featureCount: 784, totalRows: 60000)
        XCTAssertEqual(statistics.leafRows, 10)
        XCTAssertEqual(statistics.leafCount, 6000)
        for ranks in [2, 3, 7] {
            for rank in 0..<ranks {
                let rows = statistics.rows(of: statistics.leaves(ofRank: rank, ranks: ranks))
                let held = BatchRowsExchange.heldRows(ofRank: rank, ranks: ranks, totalRows: 60000)
                XCTAssertGreaterThanOrEqual(rows.lowerBound, held.lowerBound)
                XCTAssertLessThan(rows.upperBound - held.upperBound, statistics.leafRows)
                XCTAssertLessThanOrEqual(statistics.cover(statistics.leaves(ofRank: rank, ranks: ranks)).count, 2 * 13)
            }
        }
        XCTAssertEqual(statistics.cover(0..<6000), [statistics.root], "one process: the root alone")
    }

    /// The ranks' validation rows are the rows of their chunks: consecutive, whole chunks, covering all.
    func testRanksHoldTheValidationRowsOfTheirChunks() {
        XCTAssertEqual(ValidationPart.of(rank: 0, ranks: 1, totalRows: 360).rows, 0..<360)
        XCTAssertEqual((0..<3).map { ValidationPart.of(rank: $0, ranks: 3, totalRows: 360).rows }, [0..<0, 0..<256, 256..<360])
        XCTAssertEqual((0..<2).map { ValidationPart.of(rank: $0, ranks: 2, totalRows: 10000).rows }, [0..<5120, 5120..<10000])
        for (rows, ranks) in [(1, 4), (255, 2), (257, 2), (10000, 3), (513, 5)] {
            var next = 0
            for rank in 0..<ranks {
                let held = ValidationPart.of(rank: rank, ranks: ranks, totalRows: rows).rows
                XCTAssertTrue(held.isEmpty || held.lowerBound == next, "\(rows) rows, rank \(rank): \(held)")
                XCTAssertTrue(held.isEmpty || held.lowerBound % Predictor.chunkRows == 0)
                next = held.isEmpty ? next : held.upperBound
            }
            XCTAssertEqual(next, rows)
        }
    }

    /// The split is the one a single process made before (seeded shuffle, last ⌈N·f⌉ held out), sorted.
    func testValidationSplitHoldsOutTheSeededShufflesLastRows() throws {
        let split = try ValidationSplit(rows: 1437, fraction: 0.2, seed: 7)
        XCTAssertEqual(split.validation.count, 288)
        XCTAssertEqual(split.training.count, 1149)
        XCTAssertEqual(Set(split.training + split.validation), Set(0..<1437))
        XCTAssertEqual(split.training, split.training.sorted())
        var order = (0..<Int32(1437)).map { $0 }
        var rng = Xoshiro256(seed: 7, stream: "validation-split")
        rng.shuffle(&order)
        XCTAssertEqual(split.validation, order[1149...].map(Int.init).sorted())
        XCTAssertThrowsError(try ValidationSplit(rows: 10, fraction: 0.99, seed: 1))
    }

    /// Reading wanted rows a block at a time (blocks of about 4 MiB ending at chunk ends: 1048 rows
    /// of 1000 float32 features, chunks of 100 rows) gives those rows of the whole dataset, in each
    /// stored type, for one list of rows and for two read in one pass.
    func testReadingWantedRowsKeepsExactlyThoseRows() throws {
        let (rows, features) = (2100, 1000)
        let x = (0..<(rows * features)).map { Float($0 % 251) }
        let path = try folder.hdf5("rows.h5") { root in
            _ = try root.createDataset("f32", shape: [rows, features], values: x, chunkRows: 100, gzipLevel: 1)
            _ = try root.createDataset("u8", shape: [rows, features], values: x.map { UInt8($0) })
        }
        XCTAssertEqual(DatasetLoader.statisticsGroupRows(featureCount: features, type: .float32), 1048)
        let file = try File.open(path)
        let split = try ValidationSplit(rows: rows, fraction: 0.3, seed: 3)
        for name in ["f32", "u8"] {
            let dataset = try file.dataset(name)
            let (source, type) = (DataSource(file: path, x: name, y: ""), StoredType(dataset.elementType))
            let whole = try DatasetLoader.readHeldRows(dataset, source: source, rows: 0..<rows, featureCount: features, type: type)
            for slice in [split.training[...], split.training[100..<1400], split.training[0..<0]] {
                let read = try DatasetLoader.readRows(slice, of: dataset, source: source, featureCount: features, type: type)
                XCTAssertEqual(read.floatValues(rows: 0..<read.rows), whole.subset(slice).floatValues(rows: 0..<slice.count), name)
            }
            let lists = [split.training[700..<1400], split.validation[0..<300]]
            let both = try DatasetLoader.readRows(lists, of: dataset, source: source, featureCount: features, type: type)
            for (matrix, list) in zip(both, lists) {
                XCTAssertEqual(matrix.floatValues(rows: 0..<matrix.rows), whole.subset(list).floatValues(rows: 0..<list.count), name)
            }
        }
    }
}
