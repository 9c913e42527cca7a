import DataParallel
import NeuralNet
import XCTest

/// Who owns what across processes, and the pack → allgather → unpack of owned blocks (and their
/// squares), checked
/// without MPI: the allgather is simulated by copying each rank's section into every other rank's buffer.
final class RankSharesTests: XCTestCase {
    /// 784-512-256-10 cuts into blocks 256, 256 and 272 rows of layer 1, layer 2 whole, layer 3 whole.
    private let architecture = NetworkArchitecture(inputs: 784, hidden: [512, 256], hiddenActivation: .relu, outputs: 10,
                                                   outputActivation: .softmax)

    func testEveryParameterHasExactlyOneOwnerForAnyRankCount() {
        let blocks = architecture.gradientBlocks()
        XCTAssertEqual(blocks.count, 5)
        for ranks in 1...6 {
            var owners = [Int](repeating: 0, count: architecture.parameterCount)
            for rank in 0..<ranks {
                for block in RankShares(rank: rank, ranks: ranks).ownedBlocks(blocks) {
                    for i in block.weightRange { owners[i] += 1 }
                    for i in block.biasRange { owners[i] += 1 }
                }
            }
            XCTAssertEqual(Set(owners), [1], "\(ranks) ranks")
        }
    }

    func testBlocksAreBalancedByCost() {
        let blocks = architecture.gradientBlocks()
        let loads = RankShares(rank: 0, ranks: 2).blocksByRank(blocks).map { $0.reduce(0) { $0 + $1.cost } }
        // 139,264 + 131,072 | 131,072 + 131,072 + 2,560
        XCTAssertEqual(loads.sorted(), [264_704, 270_336])
    }

    func testRanksRunContiguousShardsCoveringTheBatch() {
        let plan = ShardPlan(shardSize: 16)
        for (rows, ranks) in [(100, 2), (100, 3), (37, 3), (16, 3), (128, 5)] {
            var next = 0, nextShard = 0
            for rank in 0..<ranks {
                let shares = RankShares(rank: rank, ranks: ranks)
                let owned = shares.rows(ofRank: rank, plan: plan, batchRows: rows)
                let shards = shares.shards(shardCount: plan.shardCount(rows: rows))
                XCTAssertEqual(owned.lowerBound, next, "\(rows) rows, \(ranks) ranks, rank \(rank)")
                XCTAssertEqual(shards.lowerBound, nextShard)
                XCTAssertEqual(owned.count, shards.reduce(0) { $0 + plan.rows(ofShard: $1, batchRows: rows).count })
                (next, nextShard) = (owned.upperBound, shards.upperBound)
            }
            XCTAssertEqual(next, rows)
            XCTAssertEqual(nextShard, plan.shardCount(rows: rows))
        }
    }

    func testPackExchangeUnpackGivesEveryRankTheOwnersValues() {
        let blocks = architecture.gradientBlocks()
        let count = architecture.parameterCount
        for ranks in [2, 3, 4] {
            let exchanges = (0..<ranks).map { BlockExchange(blocks: blocks, shares: RankShares(rank: $0, ranks: ranks), carriesSquares: true) }
            // Rank r's block squares: its own blocks' are r + index / 10, the others' stale (-1).
            var squares = (0..<ranks).map { _ in [Double](repeating: -1, count: blocks.count) }
            for rank in 0..<ranks {
                for block in RankShares(rank: rank, ranks: ranks).ownedBlocks(blocks) { squares[rank][block.index] = Double(rank) + Double(block.index) / 10 }
            }
            // Rank r's copy of the model: its own blocks hold r·1e6 + i, the others stale values (-1).
            var models = (0..<ranks).map { _ in [Float](repeating: -1, count: count) }
            for rank in 0..<ranks {
                for block in RankShares(rank: rank, ranks: ranks).ownedBlocks(blocks) {
                    for i in Array(block.weightRange) + Array(block.biasRange) { models[rank][i] = Float(rank * 1_000_000 + i % 100_000) }
                }
            }
            for rank in 0..<ranks {
                models[rank].withUnsafeBufferPointer { values in
                    squares[rank].withUnsafeBufferPointer { exchanges[rank].pack(values.baseAddress!, squares: $0.baseAddress!) }
                }
            }
            // The allgather: rank r's section to every other rank's buffer.
            for source in 0..<ranks {
                let start = Int(exchanges[source].displacements[source]), length = Int(exchanges[source].counts[source])
                for target in 0..<ranks where target != source {
                    XCTAssertEqual(Int(exchanges[target].displacements[source]), start)
                    (exchanges[target].buffer + start).copyMemory(from: exchanges[source].buffer + start, byteCount: length)
                }
            }
            for rank in 0..<ranks {
                models[rank].withUnsafeMutableBufferPointer { values in
                    squares[rank].withUnsafeMutableBufferPointer { exchanges[rank].unpack(into: values.baseAddress!, squares: $0.baseAddress!) }
                }
            }
            // Every rank now holds, for every parameter, its owner's value.
            var expected = [Float](repeating: .nan, count: count)
            for owner in 0..<ranks {
                for block in RankShares(rank: owner, ranks: ranks).ownedBlocks(blocks) {
                    for i in Array(block.weightRange) + Array(block.biasRange) { expected[i] = Float(owner * 1_000_000 + i % 100_000) }
                }
            }
            XCTAssertEqual(exchanges[0].totalBytes, 4 * count + 8 * blocks.count)
            let expectedSquares = blocks.map { block in
                Double((0..<ranks).first { RankShares(rank: $0, ranks: ranks).ownedBlocks(blocks).contains(block) }!) + Double(block.index) / 10
            }
            for rank in 0..<ranks {
                XCTAssertEqual(models[rank].map(\.bitPattern), expected.map(\.bitPattern), "\(ranks) ranks, rank \(rank)")
                XCTAssertEqual(squares[rank], expectedSquares, "\(ranks) ranks, rank \(rank)")
            }
        }
    }
}
