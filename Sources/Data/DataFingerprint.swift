import DataParallel

/// A cheap identity of the training data: sizes and a hash of the values the network saw, so a
/// resumed run can tell that it is given the same data.
///
/// The hash is FNV-1a over the bit patterns of at most about a million evenly spaced feature and
/// target values (normalised, as trained on), plus the row and column counts.
public struct DataFingerprint: Sendable, Equatable, CustomStringConvertible {
    public var rows: Int
    public var featureCount: Int
    public var targetWidth: Int
    public var hash: UInt64

    public init(_ samples: SampleSet) {
        rows = samples.rows
        featureCount = samples.featureCount
        targetWidth = samples.targetWidth
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ word: UInt64) {
            var word = word
            for _ in 0..<8 {
                hash = (hash ^ (word & 0xFF)) &* 0x0000_0100_0000_01B3
                word >>= 8
            }
        }
        mix(UInt64(rows))
        mix(UInt64(featureCount))
        mix(UInt64(targetWidth))
        // Features as the network sees them, converted and normalised at the sampled positions only.
        let featureValues = samples.matrix.count
        samples.matrix.withRows { features in
            let stride = max(1, featureValues / 1_000_000)
            for i in Swift.stride(from: 0, to: featureValues, by: stride) { mix(UInt64(features.value(at: i).bitPattern)) }
        }
        let stride = max(1, samples.targets.count / 1_000_000)
        for i in Swift.stride(from: 0, to: samples.targets.count, by: stride) { mix(UInt64(samples.targets[i].bitPattern)) }
        self.hash = hash
    }

    public init(rows: Int, featureCount: Int, targetWidth: Int, hash: UInt64) {
        (self.rows, self.featureCount, self.targetWidth, self.hash) = (rows, featureCount, targetWidth, hash)
    }

    public var description: String {
        "\(rows) rows × \(featureCount) features, \(targetWidth) target column\(targetWidth == 1 ? "" : "s"), hash \(String(hash, radix: 16))"
    }
}
