/// Which dropout mask a training pass uses: a pure function of (seed, step, batch row, layer, unit).
///
/// Because the mask of every value is computed from its coordinates — not drawn from a generator
/// shared by the pass — it is the same however the batch is split into shards and workers, and the
/// backward pass can recompute it instead of storing it.
public struct DropoutKey: Sendable, Equatable {
    public var seed: UInt64
    /// The global optimizer step.
    public var step: Int

    public init(seed: UInt64, step: Int) {
        self.seed = seed
        self.step = step
    }

    /// The factor for one value: 0 (dropped, with probability p) or 1/(1 − p).
    @inline(__always)
    func factor(row: Int, layer: Int, unit: Int, probability p: Float, scale: Float) -> Float {
        var z = seed &+ UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15
        z ^= UInt64(truncatingIfNeeded: row) &* 0xBF58_476D_1CE4_E5B9
        z ^= (UInt64(truncatingIfNeeded: layer) << 32 | UInt64(truncatingIfNeeded: unit)) &* 0x94D0_49BB_1331_11EB
        // SplitMix64's finaliser: every input bit affects every output bit.
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let uniform = Float(z >> 40) * 0x1p-24  // [0, 1) with 24 random bits
        return uniform < p ? 0 : scale
    }

    /// Multiplies `values` (rows × columns, batch rows starting at `firstRow`) of layer `layer` by
    /// their mask factors.
    @inline(__always)
    func apply(to values: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>, firstRow: Int, rows: Int,
               columns: Int, layer: Int, probability p: Float) {
        let scale = 1 / (1 - p)
        for r in 0..<rows {
            let offset = r * columns
            for unit in 0..<columns {
                values[offset + unit] = source[offset + unit] * factor(row: firstRow + r, layer: layer, unit: unit,
                                                                        probability: p, scale: scale)
            }
        }
    }
}
