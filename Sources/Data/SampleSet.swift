import NeuralNet

/// Samples in memory, ready for batching.
///
///     features  (rows × featureCount)  Float32, normalised
///     targets   (rows × targetWidth)   class id (targetWidth 1) or target values
public struct SampleSet: Sendable {
    public var features: [Float]
    public var targets: [Float]
    public let featureCount: Int
    public let targetWidth: Int

    public init(features: [Float], targets: [Float], featureCount: Int, targetWidth: Int) {
        precondition(featureCount > 0 && targetWidth > 0, "widths must be positive")
        precondition(features.count / featureCount == targets.count / targetWidth, "feature and target rows differ")
        self.features = features
        self.targets = targets
        self.featureCount = featureCount
        self.targetWidth = targetWidth
    }

    public var rows: Int { features.count / featureCount }

    /// Applies `normalization` to the features in place.
    public mutating func normalize(with normalization: Normalization) {
        normalization.apply(to: &features, featureCount: featureCount)
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: some Collection<Int>) -> SampleSet {
        var x: [Float] = []
        var y: [Float] = []
        x.reserveCapacity(indices.count * featureCount)
        y.reserveCapacity(indices.count * targetWidth)
        for i in indices {
            x.append(contentsOf: features[(i * featureCount)..<((i + 1) * featureCount)])
            y.append(contentsOf: targets[(i * targetWidth)..<((i + 1) * targetWidth)])
        }
        return SampleSet(features: x, targets: y, featureCount: featureCount, targetWidth: targetWidth)
    }
}
