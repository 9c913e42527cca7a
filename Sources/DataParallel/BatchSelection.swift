import Optimizers

/// A step's batch as rows of a sample matrix: the engine copies each micro-shard's rows into its own
/// batch buffers on the worker that trains that shard, so gathering runs in parallel and the rows
/// are in cache when the first product reads them.
public struct BatchSelection: @unchecked Sendable {
    /// All samples, (sample count × input size), converted and normalised as rows are copied.
    public var features: FeatureRows
    /// All targets, (sample count × target width).
    public var targets: UnsafePointer<Float>
    /// The batch's sample indices, in batch order.
    public var rows: UnsafeBufferPointer<Int32>

    public init(features: FeatureRows, targets: UnsafePointer<Float>, rows: UnsafeBufferPointer<Int32>) {
        (self.features, self.targets, self.rows) = (features, targets, rows)
    }

    /// A selection from Float32 samples used as they are.
    public init(features: UnsafePointer<Float>, featureCount: Int, targets: UnsafePointer<Float>,
                rows: UnsafeBufferPointer<Int32>) {
        self.init(features: FeatureRows(float32: features, featureCount: featureCount), targets: targets, rows: rows)
    }

    /// Copies batch rows `range` into `input` (batch rows × featureCount) and `targetRows`
    /// (batch rows × targetWidth), at the same batch rows.
    @inline(__always)
    func copy(_ range: Range<Int>, into input: UnsafeMutablePointer<Float>, featureCount: Int,
              targets targetRows: UnsafeMutablePointer<Float>, targetWidth: Int) {
        precondition(features.featureCount == featureCount, "samples have \(features.featureCount) features, the network takes \(featureCount)")
        features.copyRows(UnsafeBufferPointer(rebasing: rows[range]), into: input + range.lowerBound * featureCount)
        for r in range {
            let sample = Int(rows[r])
            (targetRows + r * targetWidth).update(from: targets + sample * targetWidth, count: targetWidth)
        }
    }
}
