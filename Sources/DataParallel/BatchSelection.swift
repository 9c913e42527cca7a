import Optimizers

/// A step's batch as rows of a sample matrix: the engine copies each micro-shard's rows into its own
/// batch buffers on the worker that trains that shard, so gathering runs in parallel and the rows
/// are in cache when the first product reads them.
public struct BatchSelection: @unchecked Sendable {
    /// All samples, (sample count × input size).
    public var features: UnsafePointer<Float>
    /// All targets, (sample count × target width).
    public var targets: UnsafePointer<Float>
    /// The batch's sample indices, in batch order.
    public var rows: UnsafeBufferPointer<Int32>

    public init(features: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: UnsafeBufferPointer<Int32>) {
        (self.features, self.targets, self.rows) = (features, targets, rows)
    }

    /// Copies batch rows `range` into `input` (batch rows × featureCount) and `targetRows`
    /// (batch rows × targetWidth), at the same batch rows.
    @inline(__always)
    func copy(_ range: Range<Int>, into input: UnsafeMutablePointer<Float>, featureCount: Int,
              targets targetRows: UnsafeMutablePointer<Float>, targetWidth: Int) {
        for r in range {
            let sample = Int(rows[r])
            (input + r * featureCount).update(from: features + sample * featureCount, count: featureCount)
            (targetRows + r * targetWidth).update(from: targets + sample * targetWidth, count: targetWidth)
        }
    }
}
