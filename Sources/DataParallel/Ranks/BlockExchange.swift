import NeuralNet
import Settings

/// How values laid out as the parameters (the optimizer state, the gradient) of every rank's
/// blocks reach every rank: two MPI_Allgatherv in place, started together (`share`). A step's
/// parameters travel block by block instead (`ParameterPieces`), and only their sides here
/// (`shareSides`).
///
///  - **Spans**, in place in the values themselves: each rank's blocks are consecutive
///    (`RankShares.blocksByRank`), so its weights lie in one span of the parameter buffer — from its
///    first block's weights up to the next rank's — and the spans of all ranks cut the buffer into
///    R pieces. Nothing is copied by H5Train; MPI writes each owner's span straight into every
///    other rank's values.
///  - **Sides**, a small packed buffer: rank r's section holds, optionally, the Σ g² of its blocks
///    (Float64, block order), then the biases of its blocks (Float32, block order). A layer's biases
///    follow its weights and belong to its first block, so they can lie in another rank's span,
///    where that rank's copy is stale. After both gathers every rank writes every section's
///    biases (its own included) back into place, so every value ends as its owner's.
///
/// Owned buffers: `counts`, `displacements` (R each, Int32, in floats), `side` (8 per block with
/// squares + 4 per bias), `sideCounts`, `sideDisplacements` (R each, Int32, bytes). Nothing is
/// allocated after `init`.
public final class BlockExchange: @unchecked Sendable {
    public let shares: RankShares
    /// Each rank's span of the values (floats), by rank: `displacements[r] ..< displacements[r] + counts[r]`.
    public let counts: UnsafeMutablePointer<Int32>
    public let displacements: UnsafeMutablePointer<Int32>
    /// Every rank's bias ranges, in section order: rank r's are `biases[biasStarts[r]..<biasStarts[r+1]]`.
    private let biases: [Range<Int>]
    private let biasStarts: [Int]
    /// Every rank's blocks (indices), in section order, when sections carry their squares; else empty.
    private let squareBlocks: [[Int]]
    public let side: UnsafeMutableRawPointer
    public let sideCounts: UnsafeMutablePointer<Int32>
    public let sideDisplacements: UnsafeMutablePointer<Int32>
    /// Bytes every rank receives from the others in one exchange, by rank.
    private let receivedBytes: [Int]
    /// The all-gathers of one exchange, made together: the spans' and the sides' (`share`), or the
    /// sides' and another (`shareSides`).
    private let gathers = GatherSet(capacity: 2)

    /// - Parameter carriesSquares: side sections start with their blocks' Σ g² (the step's exchange).
    public init(blocks: [GradientBlock], shares: RankShares, carriesSquares: Bool = false) {
        self.shares = shares
        let byRank = shares.blocksByRank(blocks)
        let parameterCount = blocks.map { max($0.weightRange.upperBound, $0.biasRange.upperBound) }.max() ?? 0
        precondition(parameterCount <= Int(Int32.max), "\(parameterCount) parameters do not fit one MPI message")
        counts = .allocate(capacity: shares.ranks)
        displacements = .allocate(capacity: shares.ranks)
        var spanEnd = parameterCount
        for r in stride(from: shares.ranks - 1, through: 0, by: -1) {
            let start = r == 0 ? 0 : byRank[r].first?.weightRange.lowerBound ?? spanEnd
            (displacements + r).initialize(to: Int32(start))
            (counts + r).initialize(to: Int32(spanEnd - start))
            spanEnd = start
        }
        var biases: [Range<Int>] = [], starts = [0]
        for owned in byRank {
            biases += owned.map(\.biasRange).filter { !$0.isEmpty }
            starts.append(biases.count)
        }
        (self.biases, biasStarts) = (biases, starts)
        squareBlocks = carriesSquares ? byRank.map { $0.map(\.index) } : []
        sideCounts = .allocate(capacity: shares.ranks)
        sideDisplacements = .allocate(capacity: shares.ranks)
        var offset = 0
        for r in 0..<shares.ranks {
            let bytes = 4 * biases[starts[r]..<starts[r + 1]].reduce(0) { $0 + $1.count }
                + (carriesSquares ? 8 * byRank[r].count : 0)
            (sideCounts + r).initialize(to: Int32(bytes))
            (sideDisplacements + r).initialize(to: Int32(offset))
            offset += bytes
        }
        side = .allocate(byteCount: max(offset, 1), alignment: 16)
        side.initializeMemory(as: UInt8.self, repeating: 0, count: max(offset, 1))
        let (spans, sides) = (counts, sideCounts)
        receivedBytes = (0..<shares.ranks).map { r in
            4 * (parameterCount - Int(spans[r])) + offset - Int(sides[r])
        }
    }

    deinit {
        counts.deallocate()
        displacements.deallocate()
        side.deallocate()
        sideCounts.deallocate()
        sideDisplacements.deallocate()
    }

    /// Bytes this rank receives from the others in one `share`.
    public var receivedPerShare: Int { receivedBytes[shares.rank] }

    /// Copies this rank's blocks' squares (by block index, when sections carry them) and biases into
    /// its side section.
    public func packSide(_ values: UnsafePointer<Float>, squares: UnsafePointer<Double>? = nil) {
        let rank = shares.rank
        var offset = Int(sideDisplacements[rank])
        if !squareBlocks.isEmpty, let squares {
            for block in squareBlocks[rank] {
                (side + offset).copyMemory(from: squares + block, byteCount: 8)
                offset += 8
            }
        }
        for range in biases[biasStarts[rank]..<biasStarts[rank + 1]] {
            (side + offset).copyMemory(from: values + range.lowerBound, byteCount: 4 * range.count)
            offset += 4 * range.count
        }
    }

    /// After the spans and sides are gathered: every rank's biases (its own too: another rank's span
    /// may have overwritten them) and the other ranks' squares, into place.
    public func unpackSides(into values: UnsafeMutablePointer<Float>, squares: UnsafeMutablePointer<Double>? = nil) {
        for r in 0..<shares.ranks {
            var offset = Int(sideDisplacements[r])
            if !squareBlocks.isEmpty {
                for block in squareBlocks[r] {
                    if r != shares.rank, let squares {
                        UnsafeMutableRawPointer(squares + block).copyMemory(from: side + offset, byteCount: 8)
                    }
                    offset += 8
                }
            }
            for range in biases[biasStarts[r]..<biasStarts[r + 1]] {
                UnsafeMutableRawPointer(values + range.lowerBound).copyMemory(from: side + offset, byteCount: 4 * range.count)
                offset += 4 * range.count
            }
        }
    }

    /// Bytes of the side sections this rank receives from the others in one `shareSides`.
    public var sideReceivedPerShare: Int {
        var total = 0
        for r in 0..<shares.ranks where r != shares.rank { total += Int(sideCounts[r]) }
        return total
    }

    /// The side sections only (the squares, when sections carry them, and the biases), with
    /// `alongside`, for when the blocks' weights travel on their own (`ParameterPieces`).
    public func shareSides(_ values: UnsafeMutablePointer<Float>, squares: UnsafeMutablePointer<Double>? = nil,
                           alongside: InPlaceGather? = nil, over ranks: Communicator) throws(TrainingError) {
        packSide(values, squares: squares.map { UnsafePointer($0) })
        gathers.removeAll()
        gathers.append(InPlaceGather(buffer: side, counts: sideCounts, displacements: sideDisplacements, type: .byte))
        if let alongside { gathers.append(alongside) }
        try ranks.allgatherInPlace(gathers)
        unpackSides(into: values, squares: squares)
    }

    /// Exchanges `values` (P floats laid out as the parameters: the optimizer state, the gradient):
    /// afterwards every rank holds every owner's values of its blocks.
    public func share(_ values: UnsafeMutablePointer<Float>, over ranks: Communicator) throws(TrainingError) {
        packSide(values)
        gathers.removeAll()
        gathers.append(InPlaceGather(buffer: UnsafeMutableRawPointer(values), counts: counts, displacements: displacements, type: .float))
        gathers.append(InPlaceGather(buffer: side, counts: sideCounts, displacements: sideDisplacements, type: .byte))
        try ranks.allgatherInPlace(gathers)
        unpackSides(into: values)
    }
}
