/// A histogram as TensorFlow's `tensorflow::histogram::Histogram` builds it for TensorBoard: the
/// default bucket limits (±1e-12 growing by 10 % up to ±1e20, then ±DBL_MAX, and 0), value `v`
/// counted in the first bucket whose limit exceeds it, and runs of empty buckets merged into one
/// as `EncodeToProto` does (`preserve_zero_buckets = false`).
public struct TensorBoardHistogram: Sendable, Equatable {
    public var min: Double
    public var max: Double
    public var count: Double
    public var sum: Double
    public var sumOfSquares: Double
    /// The right edge of each stored bucket (ascending; the last is at most `Double.greatestFiniteMagnitude`).
    public var bucketLimits: [Double]
    /// Values in each stored bucket.
    public var bucketCounts: [Double]

    /// TensorFlow's default bucket limits: 1549 edges from −DBL_MAX to DBL_MAX.
    public static let defaultBucketLimits: [Double] = {
        var positive: [Double] = []
        var v = 1.0e-12
        while v < 1.0e20 {
            positive.append(v)
            v *= 1.1
        }
        positive.append(.greatestFiniteMagnitude)
        return positive.reversed().map { -$0 } + [0] + positive
    }()

    /// A histogram with these fields (as read back from a file).
    public init(min: Double, max: Double, count: Double, sum: Double, sumOfSquares: Double,
                bucketLimits: [Double], bucketCounts: [Double]) {
        (self.min, self.max, self.count, self.sum, self.sumOfSquares) = (min, max, count, sum, sumOfSquares)
        (self.bucketLimits, self.bucketCounts) = (bucketLimits, bucketCounts)
    }

    /// The histogram of `values`' finite elements (NaN and ±∞ are left out).
    public init<Values: Sequence>(_ values: Values) where Values.Element == Float {
        let limits = Self.defaultBucketLimits
        var counts = [Double](repeating: 0, count: limits.count)
        (min, max, count, sum, sumOfSquares) = (limits[limits.count - 1], -limits[limits.count - 1], 0, 0, 0)
        for value in values where value.isFinite {
            let v = Double(value)
            counts[Self.upperBound(v, in: limits)] += 1
            min = Swift.min(min, v)
            max = Swift.max(max, v)
            count += 1
            sum += v
            sumOfSquares += v * v
        }
        (bucketLimits, bucketCounts) = Self.compacted(limits: limits, counts: counts)
    }

    /// The index of the first limit greater than `value` (C++'s `std::upper_bound`).
    static func upperBound(_ value: Double, in limits: [Double]) -> Int {
        var (low, high) = (0, limits.count)
        while low < high {
            let middle = (low + high) / 2
            if limits[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return Swift.min(low, limits.count - 1)
    }

    /// Non-empty buckets as they are, each run of empty buckets as one empty bucket ending at the
    /// run's last limit; one empty bucket at DBL_MAX when there is nothing at all.
    static func compacted(limits: [Double], counts: [Double]) -> ([Double], [Double]) {
        var (outLimits, outCounts) = ([Double](), [Double]())
        var i = 0
        while i < counts.count {
            var (end, value) = (limits[i], counts[i])
            var j = i + 1
            while value <= 0 && j < counts.count && counts[j] <= 0 {
                (end, value) = (limits[j], counts[j])
                j += 1
            }
            outLimits.append(end)
            outCounts.append(value)
            i = j
        }
        if outLimits.isEmpty { return ([.greatestFiniteMagnitude], [0]) }
        return (outLimits, outCounts)
    }
}
