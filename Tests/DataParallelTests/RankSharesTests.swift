@testable import DataParallel
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

    func testRanksOwnConsecutiveBlocksBalancedByCost() {
        let blocks = architecture.gradientBlocks()
        let loads = RankShares(rank: 0, ranks: 2).blocksByRank(blocks).map { $0.reduce(0) { $0 + $1.cost } }
        // 131,072 + 131,072 | 139,264 + 131,072 + 2,560
        XCTAssertEqual(loads, [262_144, 272_896])
        for ranks in 1...6 {
            let owned = RankShares(rank: 0, ranks: ranks).blocksByRank(blocks)
            XCTAssertEqual(owned.flatMap { $0.map(\.index) }, Array(blocks.indices), "\(ranks) ranks: consecutive, in order")
        }
    }

    /// The cut's largest run is the least of every way to cut the costs into consecutive runs
    /// (all cuts enumerated), on pseudo-random costs.
    func testConsecutiveRunsMinimiseTheLargestRun() {
        var state: UInt64 = 12_345
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 40) % 1000 + 1
        }
        func best(_ costs: ArraySlice<Int>, _ parts: Int) -> Int {
            if parts == 1 || costs.count <= 1 { return costs.reduce(0, +) }
            var result = costs.reduce(0, +)
            for cut in costs.startIndex...costs.endIndex {
                let head = costs[costs.startIndex..<cut].reduce(0, +)
                result = min(result, max(head, best(costs[cut...], parts - 1)))
            }
            return result
        }
        for trial in 0..<40 {
            let costs = (0..<(1 + trial % 8)).map { _ in next() }
            for parts in 1...4 {
                let runs = RankShares.consecutiveRuns(costs: costs, parts: parts)
                XCTAssertEqual(runs.count, parts)
                XCTAssertEqual(runs.flatMap { Array($0) }, Array(costs.indices), "\(costs), \(parts) parts")
                let largest = runs.map { costs[$0].reduce(0, +) }.max() ?? 0
                XCTAssertEqual(largest, best(costs[...], parts), "\(costs), \(parts) parts")
            }
        }
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

    /// The step's exchange without MPI: each rank's span of the model, and its side section, are
    /// copied into every other rank's, as the two in-place all-gathers do.
    func testSpansAndSidesGiveEveryRankTheOwnersValues() {
        let blocks = architecture.gradientBlocks()
        let count = architecture.parameterCount
        for ranks in [2, 3, 4, 6] {
            let owners = (0..<ranks).map { RankShares(rank: $0, ranks: ranks).ownedBlocks(blocks) }
            let exchanges = (0..<ranks).map { BlockExchange(blocks: blocks, shares: RankShares(rank: $0, ranks: ranks), carriesSquares: true) }
            // Rank r's block squares: its own blocks' are r + index / 10, the others' stale (-1).
            var squares = (0..<ranks).map { _ in [Double](repeating: -1, count: blocks.count) }
            // Rank r's copy of the model: its own blocks hold r·1e6 + i, the others stale values (-1 - r).
            var models = (0..<ranks).map { r in [Float](repeating: Float(-1 - r), count: count) }
            for rank in 0..<ranks {
                for block in owners[rank] {
                    squares[rank][block.index] = Double(rank) + Double(block.index) / 10
                    for i in Array(block.weightRange) + Array(block.biasRange) { models[rank][i] = Float(rank * 1_000_000 + i % 100_000) }
                }
                models[rank].withUnsafeBufferPointer { values in
                    squares[rank].withUnsafeBufferPointer { exchanges[rank].packSide(values.baseAddress!, squares: $0.baseAddress!) }
                }
            }
            // The spans partition the model, in rank order.
            XCTAssertEqual((0..<ranks).map { Int(exchanges[0].displacements[$0]) }.first, 0)
            XCTAssertEqual((0..<ranks).reduce(0) { $0 + Int(exchanges[0].counts[$1]) }, count)
            // The two all-gathers: rank r's span of its model and its side section, to every other rank.
            for source in 0..<ranks {
                let start = Int(exchanges[source].displacements[source]), length = Int(exchanges[source].counts[source])
                let sideStart = Int(exchanges[source].sideDisplacements[source]), sideLength = Int(exchanges[source].sideCounts[source])
                for target in 0..<ranks where target != source {
                    XCTAssertEqual(Int(exchanges[target].displacements[source]), start)
                    models[target].replaceSubrange(start..<(start + length), with: models[source][start..<(start + length)])
                    (exchanges[target].side + sideStart).copyMemory(from: exchanges[source].side + sideStart, byteCount: sideLength)
                }
            }
            for rank in 0..<ranks {
                models[rank].withUnsafeMutableBufferPointer { values in
                    squares[rank].withUnsafeMutableBufferPointer { exchanges[rank].unpackSides(into: values.baseAddress!, squares: $0.baseAddress!) }
                }
            }
            // Every rank now holds, for every parameter, its owner's value.
            var expected = [Float](repeating: .nan, count: count)
            for owner in 0..<ranks {
                for block in owners[owner] {
                    for i in Array(block.weightRange) + Array(block.biasRange) { expected[i] = Float(owner * 1_000_000 + i % 100_000) }
                }
            }
            let expectedSquares = blocks.map { block in
                Double((0..<ranks).first { owners[$0].contains(block) }!) + Double(block.index) / 10
            }
            for rank in 0..<ranks {
                XCTAssertEqual(models[rank].map(\.bitPattern), expected.map(\.bitPattern), "\(ranks) ranks, rank \(rank)")
                XCTAssertEqual(squares[rank], expectedSquares, "\(ranks) ranks, rank \(rank)")
            }
            // What a rank receives: the others' spans (4 bytes a value) and side sections.
            let sideTotal = (0..<ranks).reduce(0) { $0 + Int(exchanges[0].sideCounts[$1]) }
            for rank in 0..<ranks {
                XCTAssertEqual(exchanges[rank].receivedPerShare,
                               4 * (count - Int(exchanges[rank].counts[rank])) + sideTotal - Int(exchanges[rank].sideCounts[rank]))
            }
        }
    }
}
