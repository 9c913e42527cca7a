import NeuralNet
import Settings

/// How the parameters (or gradient, or one optimizer state buffer) of every rank's blocks travel in
/// one MPI_Allgatherv: rank r's section holds, optionally, the Σ g² of its blocks (Float64, in block
/// order), then the values of its blocks — each block's weight rows, then its biases — in block
/// order; the sections follow each other in rank order. Each rank packs its own section into a
/// preallocated buffer, the allgather fills the others in place, and each rank unpacks the others'
/// sections. Nothing is allocated after `init`.
///
/// Owned buffers: `buffer` (the sum of the sections' bytes: 4·P, plus 8 per block with squares),
/// `counts` and `displacements` (R each, Int32, in bytes).
public final class BlockExchange: @unchecked Sendable {
    public let shares: RankShares
    /// Every rank's parameter ranges, in section order: rank r's are `ranges[rangeStarts[r]..<rangeStarts[r+1]]`.
    private let ranges: [Range<Int>]
    private let rangeStarts: [Int]
    /// Every rank's blocks (indices), in section order, when sections carry their squares; else empty.
    private let squareBlocks: [[Int]]
    public let buffer: UnsafeMutableRawPointer
    public let counts: UnsafeMutablePointer<Int32>
    public let displacements: UnsafeMutablePointer<Int32>
    /// Bytes in all sections.
    public let totalBytes: Int

    /// - Parameter carriesSquares: sections start with their blocks' Σ g² (the step's exchange).
    public init(blocks: [GradientBlock], shares: RankShares, carriesSquares: Bool = false) {
        self.shares = shares
        var ranges: [Range<Int>] = [], starts = [0]
        let byRank = shares.blocksByRank(blocks)
        for owned in byRank {
            for block in owned {
                ranges.append(block.weightRange)
                if !block.biasRange.isEmpty { ranges.append(block.biasRange) }
            }
            starts.append(ranges.count)
        }
        (self.ranges, rangeStarts) = (ranges, starts)
        squareBlocks = carriesSquares ? byRank.map { $0.map(\.index) } : []
        counts = .allocate(capacity: shares.ranks)
        displacements = .allocate(capacity: shares.ranks)
        var offset = 0
        for r in 0..<shares.ranks {
            let values = ranges[starts[r]..<starts[r + 1]].reduce(0) { $0 + $1.count }
            let bytes = 4 * values + (carriesSquares ? 8 * byRank[r].count : 0)
            (counts + r).initialize(to: Int32(bytes))
            (displacements + r).initialize(to: Int32(offset))
            offset += bytes
        }
        precondition(offset <= Int(Int32.max), "\(offset) bytes do not fit one MPI message")
        totalBytes = offset
        buffer = .allocate(byteCount: max(offset, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: max(offset, 1))
    }

    deinit {
        buffer.deallocate()
        counts.deallocate()
        displacements.deallocate()
    }

    /// Copies this rank's blocks of `values` (laid out as the parameters), and of `squares` (by
    /// block index) when sections carry them, into its section.
    public func pack(_ values: UnsafePointer<Float>, squares: UnsafePointer<Double>? = nil) {
        let rank = shares.rank
        var offset = Int(displacements[rank])
        if !squareBlocks.isEmpty, let squares {
            for block in squareBlocks[rank] {
                (buffer + offset).copyMemory(from: squares + block, byteCount: 8)
                offset += 8
            }
        }
        for range in ranges[rangeStarts[rank]..<rangeStarts[rank + 1]] {
            (buffer + offset).copyMemory(from: values + range.lowerBound, byteCount: 4 * range.count)
            offset += 4 * range.count
        }
    }

    /// Copies every other rank's section back into `values` (and `squares`) at their blocks' places.
    public func unpack(into values: UnsafeMutablePointer<Float>, squares: UnsafeMutablePointer<Double>? = nil) {
        for r in 0..<shares.ranks where r != shares.rank {
            var offset = Int(displacements[r])
            if !squareBlocks.isEmpty, let squares {
                for block in squareBlocks[r] {
                    UnsafeMutableRawPointer(squares + block).copyMemory(from: buffer + offset, byteCount: 8)
                    offset += 8
                }
            }
            for range in ranges[rangeStarts[r]..<rangeStarts[r + 1]] {
                UnsafeMutableRawPointer(values + range.lowerBound).copyMemory(from: buffer + offset, byteCount: 4 * range.count)
                offset += 4 * range.count
            }
        }
    }

    /// Packs, exchanges and unpacks `values` (P floats laid out as the parameters), with `squares`
    /// when sections carry them: afterwards every rank holds every owner's values of its blocks.
    public func share(_ values: UnsafeMutablePointer<Float>, squares: UnsafeMutablePointer<Double>? = nil,
                      over ranks: Communicator) throws(TrainingError) {
        pack(values, squares: squares.map { UnsafePointer($0) })
        try ranks.allgatherInPlace(buffer, counts: counts, displacements: displacements, type: .byte)
        unpack(into: values, squares: squares)
    }
}
