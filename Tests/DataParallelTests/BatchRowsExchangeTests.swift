@testable import DataParallel
import XCTest

/// The exchange of a batch's input rows when each rank holds only its part of the training rows,
/// checked without MPI: the all-gather is simulated by copying each rank's section into every
/// other rank's buffer. Every rank must end with the rows and targets one process would gather from
/// the whole matrix, as the same Float32 values, in batch order.
final class BatchRowsExchangeTests: XCTestCase {
    func testHeldRowsCoverTheSamplesOnceAndEachSampleKnowsItsHolder() {
        for rows in [1, 2, 7, 10, 1437] {
            for ranks in 1...5 where ranks <= rows {
                var next = 0
                for r in 0..<ranks {
                    let held = BatchRowsExchange.heldRows(ofRank: r, ranks: ranks, totalRows: rows)
                    XCTAssertEqual(held.lowerBound, next, "\(rows) rows, \(ranks) ranks")
                    next = held.upperBound
                    let exchange = BatchRowsExchange(shares: RankShares(rank: r, ranks: ranks), totalRows: rows, featureCount: 1,
                                                     valueBytes: 1, targetWidth: 1, capacity: 1)
                    for sample in held { XCTAssertEqual(exchange.holder(of: sample), r, "sample \(sample) of \(rows), \(ranks) ranks") }
                }
                XCTAssertEqual(next, rows)
            }
        }
        // 1437 rows over 3 ranks: 479 each; over 2: 718 and 719.
        XCTAssertEqual(BatchRowsExchange.heldRows(ofRank: 1, ranks: 2, totalRows: 1437), 718..<1437)
        XCTAssertEqual(BatchRowsExchange.heldRows(ofRank: 2, ranks: 3, totalRows: 1437), 958..<1437)
    }

    func testUInt8RowsScaledReachEveryRankInBatchOrder() {
        let (rows, features) = (37, 5)
        let values = (0..<(rows * features)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for ranks in 1...4 {
            assertExchange(values, rows: rows, features: features, ranks: ranks, valueBytes: 1, batch: [36, 0, 5, 18, 17, 9, 30, 2, 3]) {
                FeatureRows(values: .uint8($0.assumingMemoryBound(to: UInt8.self)), scaling: .scale(1 / 255), featureCount: features)
            }
        }
    }

    func testFloat64RowsStandardisedReachEveryRankInBatchOrder() {
        let (rows, features) = (23, 3)
        let values = (0..<(rows * features)).map { Double($0) * 0.37 - 4.1 }
        let (mean, std): ([Float], [Float]) = ([0.5, -1, 2], [3, 0.25, 1.5])
        mean.withUnsafeBufferPointer { m in
            std.withUnsafeBufferPointer { s in
                for ranks in 1...3 {
                    assertExchange(values, rows: rows, features: features, ranks: ranks, valueBytes: 8,
                                   batch: [22, 21, 0, 11, 12, 7, 7]) {
                        FeatureRows(values: .float64($0.assumingMemoryBound(to: Double.self)),
                                    scaling: .standardize(mean: m.baseAddress!, std: s.baseAddress!), featureCount: features)
                    }
                }
            }
        }
    }

    // MARK: - Streamed: each rank reads its share of each window's blocks

    /// Slots of 3 blocks of 4 rows (12 rows each): row i's block is at window-local position
    /// (i mod 12) / 4, read by rank position mod R, the same on every rank.
    func testWindowBlocksAreHeldByTheirPositionModuloTheRanks() {
        let holders = RowHolders.windowBlocks(blockRows: 4, slotRows: 12)
        let positions = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
        for ranks in 1...4 {
            let expected = (positions + positions).map { $0 % ranks }
            XCTAssertEqual((0..<24).map { holders.holder(of: $0, ranks: ranks) }, expected, "\(ranks) ranks")
        }
        XCTAssertEqual(holders.holder(of: 21, ranks: 3), 2)  // slot 1, row 9: its third block
        XCTAssertEqual(holders.holder(of: 13, ranks: 2), 0)  // slot 1, row 1: its first block
        XCTAssertEqual(RowHolders.contiguous(totalRows: 10).holder(of: 5, ranks: 2), 1)
    }

    /// Two slots of 3 blocks of 4 rows, the second window's last block short (2 rows): each rank's
    /// slots hold only the rows of the blocks it reads (the others garbage); every rank must end
    /// with the batch's rows as one process reading every block has them.
    func testStreamedFloat32RowsReadInSharesReachEveryRankInBatchOrder() {
        let (features, slotRows) = (3, 12)
        let rows = 2 * slotRows
        let values = (0..<(rows * features)).map { Float($0) * 0.731 - 5 }
        let batch: [Int32] = [13, 2, 21, 17, 5, 9, 0, 22, 11, 14]  // straddles the slots; 23 (unwritten) is not in it
        for ranks in 1...4 {
            assertExchange(values, rows: rows, features: features, ranks: ranks, valueBytes: 4, batch: batch,
                           holders: .windowBlocks(blockRows: 4, slotRows: slotRows), garbage: .nan) {
                FeatureRows(values: .float32($0.assumingMemoryBound(to: Float.self)), scaling: .scale(0.5), featureCount: features)
            }
        }
    }

    /// Each of `ranks` exchanges holds its part of `values` (in memory its range, the other rows
    /// absent; streamed, the rows of the blocks it reads, the others set to `garbage`); after
    /// prepare, pack, the simulated gather and unpack, every rank's selection must read exactly the
    /// rows (and targets) that the whole matrix gives for `batch`, and count as received the bytes
    /// of the rows it did not hold.
    private func assertExchange<Value>(_ values: [Value], rows: Int, features: Int, ranks: Int, valueBytes: Int, batch: [Int32],
                                       holders: RowHolders? = nil, garbage: Value? = nil,
                                       view: (UnsafeRawPointer) -> FeatureRows, line: UInt = #line) {
        let targets = (0..<(rows * 2)).map { Float($0) + 0.5 }
        let exchanges = (0..<ranks).map {
            BatchRowsExchange(shares: RankShares(rank: $0, ranks: ranks), holders: holders ?? .contiguous(totalRows: rows),
                              featureCount: features, valueBytes: valueBytes, targetWidth: 2, capacity: 12)
        }
        let locals = exchanges.map { exchange in
            var local = values
            for row in 0..<rows where exchange.holder(of: row) != exchange.shares.rank {
                for f in 0..<features { local[row * features + f] = garbage ?? values[row * features + f] }
            }
            return local
        }
        values.withUnsafeBytes { whole in
            batch.withUnsafeBufferPointer { batchRows in
                for (exchange, local) in zip(exchanges, locals) {
                    exchange.prepare(batchRows)
                    local.withUnsafeBytes {
                        exchange.pack(batchRows, from: $0.baseAddress! + exchange.heldRows.lowerBound * features * valueBytes)
                    }
                }
                for source in exchanges {  // the all-gather: every rank's section into every other rank's buffer
                    let r = source.shares.rank
                    for target in exchanges where target !== source {
                        XCTAssertEqual(target.counts[r], source.counts[r], line: line)
                        XCTAssertEqual(target.displacements[r], source.displacements[r], line: line)
                        (target.sections + Int(target.displacements[r])).copyMemory(
                            from: source.sections + Int(source.displacements[r]), byteCount: Int(source.counts[r]))
                    }
                }
                let reference = view(whole.baseAddress!)
                var expected = [Float](repeating: 0, count: batch.count * features)
                reference.copyRows(batchRows, into: &expected)
                for exchange in exchanges {
                    targets.withUnsafeBufferPointer { exchange.unpack(batchRows, targets: $0.baseAddress!) }
                    let selection = exchange.selection(rows: batch.count, like: reference)
                    var gathered = [Float](repeating: -1, count: batch.count * features)
                    selection.features.copyRows(selection.rows, into: &gathered)
                    let rank = "rank \(exchange.shares.rank) of \(ranks)"
                    XCTAssertEqual(gathered.map(\.bitPattern), expected.map(\.bitPattern), rank, line: line)
                    XCTAssertEqual(Array(selection.rows), Array(0..<Int32(batch.count)), rank, line: line)
                    let gatheredTargets = (0..<(batch.count * 2)).map { selection.targets[$0] }
                    XCTAssertEqual(gatheredTargets, batch.flatMap { [targets[Int($0) * 2], targets[Int($0) * 2 + 1]] }, rank, line: line)
                    let notHeld = batch.filter { exchange.holder(of: Int($0)) != exchange.shares.rank }.count
                    XCTAssertEqual(exchange.receivedBytes, notHeld * features * valueBytes, rank, line: line)
                }
            }
        }
    }
}
