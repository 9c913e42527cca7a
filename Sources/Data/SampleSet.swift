import NeuralNet

/// Samples in memory, ready for batching.
///
///     matrix    (rows × featureCount)  features in their stored type, with their normalisation
///     targets   (rows × targetWidth)   class id (targetWidth 1) or target values
public struct SampleSet: Sendable {
    public var matrix: FeatureMatrix
    public var targets: [Float]
    public let targetWidth: Int

    public init(matrix: FeatureMatrix, targets: [Float], targetWidth: Int) {
        precondition(targetWidth > 0, "widths must be positive")
        precondition(matrix.rows == targets.count / targetWidth, "feature and target rows differ")
        self.matrix = matrix
        self.targets = targets
        self.targetWidth = targetWidth
    }

    /// Samples whose features are Float32, used as they are.
    public init(features: [Float], targets: [Float], featureCount: Int, targetWidth: Int) {
        precondition(featureCount > 0 && targetWidth > 0, "widths must be positive")
        self.init(matrix: FeatureMatrix(float32: features, featureCount: featureCount), targets: targets, targetWidth: targetWidth)
    }

    public var featureCount: Int { matrix.featureCount }

    public var rows: Int { matrix.rows }

    /// All features as the network sees them (Float32, normalised): a copy, four bytes a value.
    public var features: [Float] { matrix.floatValues(rows: 0..<rows) }

    /// Sets the normalisation the features are read with.
    public mutating func normalize(with normalization: Normalization) {
        matrix.normalize(with: normalization)
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: some Collection<Int>) -> SampleSet {
        var y: [Float] = []
        y.reserveCapacity(indices.count * targetWidth)
        for i in indices {
            y.append(contentsOf: targets[(i * targetWidth)..<((i + 1) * targetWidth)])
        }
        return SampleSet(matrix: matrix.subset(indices), targets: y, targetWidth: targetWidth)
    }
}
