import NeuralNet
import Settings

/// How the parameters (or gradient, or one optimizer state buffer) of every rank's blocks travel in
/// one MPI_Allgatherv: rank r's section holds the values of its blocks — each block's weight rows,
/// then its biases — in block order, and the sections follow each other in rank order. Each rank
/// packs its own section into a preallocated buffer, the allgather fills the others in place, and
/// each rank unpacks the others' sections. Nothing is allocated after `init`.
///
/// Owned buffers: `buffer` (P floats), `counts` and `displacements` (R each, Int32, in floats).
public final class BlockExchange: @unchecked Sendable {
    public let shares: RankShares
    /// Every rank's parameter ranges, in section order: rank r's are `ranges[sectionStarts[r]..<sectionStarts[r+1]]`.
    let ranges: [Range<Int>]
    let rangeStarts: [Int]
    public let buffer: UnsafeMutablePointer<Float>
    public let counts: UnsafeMutablePointer<Int32>
    public let displacements: UnsafeMutablePointer<Int32>
    /// Floats in all sections: the parameter count.
    public let totalCount: Int

    public init(blocks: [GradientBlock], shares: RankShares) {
        self.shares = shares
        var ranges: [Range<Int>] = [], starts = [0]
        for owned in shares.blocksByRank(blocks) {
            for block in owned {
                ranges.append(block.weightRange)
                if !block.biasRange.isEmpty { ranges.append(block.biasRange) }
            }
            starts.append(ranges.count)
        }
        (self.ranges, rangeStarts) = (ranges, starts)
        totalCount = ranges.reduce(0) { $0 + $1.count }
        precondition(totalCount <= Int(Int32.max), "\(totalCount) values do not fit one MPI message")
        buffer = .allocate(capacity: max(totalCount, 1))
        buffer.initialize(repeating: 0, count: max(totalCount, 1))
        counts = .allocate(capacity: shares.ranks)
        displacements = .allocate(capacity: shares.ranks)
        var offset = 0
        for r in 0..<shares.ranks {
            let count = ranges[starts[r]..<starts[r + 1]].reduce(0) { $0 + $1.count }
            (counts + r).initialize(to: Int32(count))
            (displacements + r).initialize(to: Int32(offset))
            offset += count
        }
    }

    deinit {
        buffer.deallocate()
        counts.deallocate()
        displacements.deallocate()
    }

    /// Copies this rank's blocks of `values` (laid out as the parameters) into its section.
    public func pack(_ values: UnsafePointer<Float>) {
        var offset = Int(displacements[shares.rank])
        for range in ranges[rangeStarts[shares.rank]..<rangeStarts[shares.rank + 1]] {
            (buffer + offset).update(from: values + range.lowerBound, count: range.count)
            offset += range.count
        }
    }

    /// Copies every other rank's section back into `values` at their blocks' places.
    public func unpack(into values: UnsafeMutablePointer<Float>) {
        for r in 0..<shares.ranks where r != shares.rank {
            var offset = Int(displacements[r])
            for range in ranges[rangeStarts[r]..<rangeStarts[r + 1]] {
                (values + range.lowerBound).update(from: buffer + offset, count: range.count)
                offset += range.count
            }
        }
    }

    /// Packs, exchanges and unpacks `values` (P floats laid out as the parameters): afterwards every
    /// rank holds every owner's values of its blocks.
    public func share(_ values: UnsafeMutablePointer<Float>, over ranks: Communicator) throws(TrainingError) {
        pack(values)
        try ranks.allgatherInPlace(buffer, counts: counts, displacements: displacements, type: .float)
        unpack(into: values)
    }
}
