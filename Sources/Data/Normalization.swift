import NeuralNet

/// How input features are rescaled before they reach the network.
///
/// Statistics come from the training set only; the chosen normalisation is stored in the
/// checkpoint and applied again, unchanged, by `evaluate` and `predict`.
public enum Normalization: Sendable, Equatable, CustomStringConvertible {
    /// Features are used as stored.
    case none
    /// x ← x · factor (for unsigned-integer images: 1/255, mapping bytes to [0, 1]).
    case scale(factor: Float)
    /// x ← (x − mean_j) / std_j per feature j (std 0 is treated as 1).
    case standardize(mean: [Float], std: [Float])

    /// What the user asked for with `normalize`.
    public enum Request: String, Sendable, CaseIterable {
        /// Scale unsigned-integer features by their type's maximum; leave floats alone.
        case auto
        case none
        /// Divide by the largest absolute feature value of the training set.
        case scale
        /// Zero mean, unit variance per feature.
        case standardize
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .scale(let factor): "scale ×\(factor)"
        case .standardize(let mean, _): "standardize (\(mean.count) features)"
        }
    }

    /// Chooses the normalisation for a training set.
    ///
    /// - Parameters:
    ///   - features: rows × featureCount training features, as stored (converted to Float).
    ///   - unsignedMaximum: the stored element type's maximum when it is an unsigned integer type.
    public static func fit<Features: RandomAccessCollection<Float>>(
        _ request: Request, features: Features, featureCount: Int, unsignedMaximum: Double?
    ) -> Normalization where Features.Index == Int {
        switch request {
        case .none, .auto:
            return withoutStatistics(request, unsignedMaximum: unsignedMaximum)
        case .scale, .standardize:
            // Summed leaf by leaf up a fixed tree, as a run across processes sums them (`FeatureStatistics`).
            let statistics = FeatureStatistics(request, featureCount: featureCount, totalRows: features.count / max(featureCount, 1))
            let start = features.startIndex
            return statistics.fit { features[start + $0] }
        }
    }

    /// The normalisation of a request that needs no statistics of the features: `none`, or `auto`
    /// (unsigned integers scaled by their type's maximum to [0, 1], anything else as stored).
    static func withoutStatistics(_ request: Request, unsignedMaximum: Double?) -> Normalization {
        guard request == .auto, let maximum = unsignedMaximum, maximum > 0 else { return .none }
        return .scale(factor: Float(1 / maximum))
    }

    /// Each feature's mean and standard deviation (1 where it does not vary) from its Σx and Σx²
    /// over `rows` rows, summed in float64 (`FeatureStatistics`).
    static func standardization(sum: [Double], sumSquares: [Double], rows: Int) -> Normalization {
        let n = Double(max(rows, 1))
        var mean = [Float](repeating: 0, count: sum.count)
        var std = [Float](repeating: 1, count: sum.count)
        for j in sum.indices {
            let mu = sum[j] / n
            let variance = max(0, sumSquares[j] / n - mu * mu)
            mean[j] = Float(mu)
            std[j] = variance > 0 ? Float(variance.squareRoot()) : 1
        }
        return .standardize(mean: mean, std: std)
    }

    /// Applies the normalisation in place to rows × featureCount values.
    public func apply(to features: inout [Float], featureCount: Int) {
        switch self {
        case .none:
            return
        case .scale(let factor):
            for i in features.indices { features[i] *= factor }
        case .standardize(let mean, let std):
            precondition(mean.count == featureCount, "normalisation was fitted to \(mean.count) features, not \(featureCount)")
            for i in features.indices {
                let j = i % featureCount
                features[i] = (features[i] - mean[j]) / std[j]
            }
        }
    }
}
