/// A fixed piece of the parameter gradient: some input rows of one layer's weights (W is
/// inputs × outputs, so a block is contiguous), plus the layer's biases in the layer's first block.
/// The data-parallel step computes each block over the whole batch with one product and updates its
/// parameters while they are still in cache.
///
/// Blocks depend only on the architecture, never on the worker count, so whichever worker computes
/// a block runs exactly the same operations on it.
public struct GradientBlock: Sendable, Equatable {
    /// Position in `gradientBlocks()`: per-block results are combined in this order.
    public let index: Int
    public let layer: Int
    /// The layer's inputs (rows of its weight matrix) this block covers.
    public let inputs: Range<Int>
    /// Where those weight rows lie in the flat parameter buffer.
    public let weightRange: Range<Int>
    /// Where the layer's biases lie in the flat parameter buffer, for its first block; empty for the others.
    public let biasRange: Range<Int>

    /// Multiply–adds of this block per batch row (for balancing work between workers).
    public var cost: Int { weightRange.count }
}

extension NetworkArchitecture {
    /// Cuts every layer's weight rows into blocks of about `targetWeights` weights each, in whole
    /// multiples of 16 rows; a layer's last block also takes a remainder of less than half a block.
    ///
    /// Each block's product packs the layer's whole δ again, so fewer, larger blocks pack less; more,
    /// smaller ones balance better over the workers and keep a block's gradient, weights and optimizer
    /// state in cache for the update. On the MNIST reference (784-512-256-10), 131,072 weights cut the
    /// 784→512 layer into blocks of 256, 256 and 272 rows and leave the 512→256 layer whole, which two
    /// workers split 270k and 265k weights. That ran 1.9 % faster with two workers and 2.4 % with one
    /// than 65,536 (blocks of 128 rows, δ packed twice as often), in interleaved bench pairs. A block
    /// for a small remainder costs more than its size (a product 16 rows high still packs all of δ);
    /// one of 16 rows left a worker waiting for 2–3 % of the step.
    public func gradientBlocks(targetWeights: Int = 131_072) -> [GradientBlock] {
        var blocks: [GradientBlock] = []
        for (index, layer) in layers.enumerated() {
            let rowsPerBlock = max(16, (targetWeights / max(layer.outputs, 1)) / 16 * 16)
            let biases = biasOffset(index)
            // A remainder of less than half a block joins the last full block instead of standing alone.
            let fullBlocks = max(1, (layer.inputs + rowsPerBlock / 2) / rowsPerBlock)
            for block in 0..<fullBlocks {
                let start = block * rowsPerBlock
                let rows = start..<(block == fullBlocks - 1 ? layer.inputs : start + rowsPerBlock)
                let weights = weightOffsets[index] + rows.lowerBound * layer.outputs
                blocks.append(GradientBlock(index: blocks.count, layer: index, inputs: rows,
                                            weightRange: weights..<(weights + rows.count * layer.outputs),
                                            biasRange: start == 0 ? biases..<(biases + layer.outputs) : biases..<biases))
            }
        }
        return blocks
    }
}
