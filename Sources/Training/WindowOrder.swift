import Data
import NeuralNet

/// The two-level order of a streamed run: each epoch a seeded permutation of the blocks; the
/// permuted blocks taken `blocksPerWindow` at a time as windows (each window's blocks in file
/// order); each window's rows shuffled with a seed derived from (seed, epoch, window). The epoch's
/// order is the windows' orders one after the other, cut into batches like `BatchSampler`'s.
///
/// A pure function of (seed, epoch, rows, rows per block, blocks per window). With one window for
/// all the rows it is exactly `BatchSampler`'s permutation, so a run whose budget holds all its
/// data visits rows as a run in memory does.
public struct WindowOrder: Sendable, Equatable {
    public let rows: Int
    public let shape: WindowShape
    public let seed: UInt64

    public init(rows: Int, shape: WindowShape, seed: UInt64) {
        precondition(rows >= 1, "an order needs rows")
        (self.rows, self.shape, self.seed) = (rows, shape, seed)
    }

    public var blockCount: Int { (rows + shape.blockRows - 1) / shape.blockRows }

    public var windowCount: Int { (blockCount + shape.blocksPerWindow - 1) / shape.blocksPerWindow }

    private func epochSeed(_ epoch: Int) -> UInt64 { seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15 }

    /// Epoch `epoch`'s permutation of the blocks (the identity when there is one window).
    public func blockPermutation(epoch: Int) -> [Int32] {
        var blocks = (0..<Int32(blockCount)).map { $0 }
        if windowCount > 1 {
            var rng = Xoshiro256(seed: epochSeed(epoch), stream: "block-order")
            rng.shuffle(&blocks)
        }
        return blocks
    }

    /// The blocks of window `window` of `epoch`, ascending.
    public func blocks(epoch: Int, window: Int) -> [Int] {
        blocks(of: blockPermutation(epoch: epoch), window: window)
    }

    func blocks(of permutation: [Int32], window: Int) -> [Int] {
        let first = window * shape.blocksPerWindow
        return permutation[first..<min(first + shape.blocksPerWindow, blockCount)].map(Int.init).sorted()
    }

    /// Rows in block `block` (the last one may be short).
    public func rows(ofBlock block: Int) -> Int {
        min(shape.blockRows, rows - block * shape.blockRows)
    }

    /// The first position in the epoch's order of each window, and the epoch's row count last
    /// (windowCount + 1 values).
    public func windowStarts(epoch: Int) -> [Int] {
        let permutation = blockPermutation(epoch: epoch)
        var starts = [0]
        for window in 0..<windowCount {
            starts.append(starts[window] + blocks(of: permutation, window: window).reduce(0) { $0 + rows(ofBlock: $1) })
        }
        return starts
    }

    /// Shuffles `order` (a window's row positions) as window `window` of `epoch` is visited.
    public func shuffle(epoch: Int, window: Int, order: inout [Int32]) {
        var rng = windowCount == 1
            ? Xoshiro256(seed: epochSeed(epoch), stream: "epoch-order")
            : Xoshiro256(seed: epochSeed(epoch) &+ UInt64(window + 1) &* 0xBF58_476D_1CE4_E5B9, stream: "window-order")
        rng.shuffle(&order)
    }

    /// The whole epoch's order as dataset rows (for tests and statistics; training never builds it).
    public func epochOrder(epoch: Int) -> [Int32] {
        let permutation = blockPermutation(epoch: epoch)
        var result: [Int32] = []
        result.reserveCapacity(rows)
        for window in 0..<windowCount {
            let blocks = blocks(of: permutation, window: window)
            var global: [Int32] = []
            for block in blocks { global += (0..<rows(ofBlock: block)).map { Int32(block * shape.blockRows + $0) } }
            var order = (0..<Int32(global.count)).map { $0 }
            shuffle(epoch: epoch, window: window, order: &order)
            result += order.map { global[Int($0)] }
        }
        return result
    }
}

/// The windows a run's reader loads, from a position in the run to the end of its last epoch.
struct ReaderSchedule: WindowSchedule {
    let order: WindowOrder
    /// Epoch (1-based) and window of the reader's window 0.
    let firstEpoch: Int
    let firstWindow: Int
    let lastEpoch: Int

    /// The (epoch, window) of the reader's window `index`.
    func position(_ index: Int) -> (epoch: Int, window: Int) {
        let linear = firstWindow + index
        return (firstEpoch + linear / order.windowCount, linear % order.windowCount)
    }

    /// The reader's index of `window` of `epoch`.
    func index(epoch: Int, window: Int) -> Int {
        (epoch - firstEpoch) * order.windowCount + window - firstWindow
    }

    func blocks(ofWindow index: Int) -> [Int]? {
        let (epoch, window) = position(index)
        return epoch > lastEpoch ? nil : order.blocks(epoch: epoch, window: window)
    }

    func shuffle(window index: Int, order rows: inout [Int32]) {
        let (epoch, window) = position(index)
        order.shuffle(epoch: epoch, window: window, order: &rows)
    }
}
