/// A borrowed view of a sample matrix whose features stay in their stored type (one byte a value
/// for uint8 images), with the normalisation applied as rows are copied out as Float32.
///
/// Each value becomes exactly the Float32 that converting the whole matrix first and normalising it
/// afterwards gives: the stored value is converted to Float (`Float(x)`, rounding to nearest), then
/// scaled (x · factor) or standardised ((x − mean_j) / std_j) in Float. The pointers belong to the
/// owner of the matrix, which keeps them alive while the view is used.
public struct FeatureRows: @unchecked Sendable {
    /// The stored values, rows × featureCount.
    public enum Values {
        case uint8(UnsafePointer<UInt8>)
        case float32(UnsafePointer<Float>)
        case float64(UnsafePointer<Double>)
    }

    /// What is applied to each converted value.
    public enum Scaling {
        case none
        /// x · factor.
        case scale(Float)
        /// (x − mean_j) / std_j, with `featureCount` values each.
        case standardize(mean: UnsafePointer<Float>, std: UnsafePointer<Float>)
    }

    public var values: Values
    public var scaling: Scaling
    public let featureCount: Int

    public init(values: Values, scaling: Scaling, featureCount: Int) {
        precondition(featureCount > 0, "rows need at least one feature")
        (self.values, self.scaling, self.featureCount) = (values, scaling, featureCount)
    }

    /// Float32 rows used as they are (no conversion, no normalisation).
    public init(float32 values: UnsafePointer<Float>, featureCount: Int) {
        self.init(values: .float32(values), scaling: .none, featureCount: featureCount)
    }

    /// The Float32 value the network sees at flat position `index` (row · featureCount + feature).
    /// The first stored value's address.
    public var storage: UnsafeRawPointer {
        switch values {
        case .uint8(let p): UnsafeRawPointer(p)
        case .float32(let p): UnsafeRawPointer(p)
        case .float64(let p): UnsafeRawPointer(p)
        }
    }

    /// These rows' type, scaling and width over other stored values at `base`.
    public func reading(_ base: UnsafeRawPointer) -> FeatureRows {
        let rebased: Values = switch values {
        case .uint8: .uint8(base.assumingMemoryBound(to: UInt8.self))
        case .float32: .float32(base.assumingMemoryBound(to: Float.self))
        case .float64: .float64(base.assumingMemoryBound(to: Double.self))
        }
        return FeatureRows(values: rebased, scaling: scaling, featureCount: featureCount)
    }

    public func value(at index: Int) -> Float {
        let x: Float
        switch values {
        case .uint8(let p): x = Float(p[index])
        case .float32(let p): x = p[index]
        case .float64(let p): x = Float(p[index])
        }
        switch scaling {
        case .none: return x
        case .scale(let factor): return x * factor
        case .standardize(let mean, let std):
            let j = index % featureCount
            return (x - mean[j]) / std[j]
        }
    }

    /// Copies the samples `rows`, in that order, into `output` (rows.count × featureCount).
    @inline(__always)
    public func copyRows(_ rows: UnsafeBufferPointer<Int32>, into output: UnsafeMutablePointer<Float>) {
        for (r, sample) in rows.enumerated() {
            copyRow(Int(sample), into: output + r * featureCount)
        }
    }

    /// Copies the consecutive samples `rows` into `output` (rows.count × featureCount).
    public func copyRows(_ rows: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        for (r, sample) in rows.enumerated() {
            copyRow(sample, into: output + r * featureCount)
        }
    }

    /// Converts and normalises one sample's features into `output` (featureCount values).
    @inline(__always)
    func copyRow(_ sample: Int, into output: UnsafeMutablePointer<Float>) {
        let first = sample * featureCount
        switch values {
        case .uint8(let p): copyRow(p + first, into: output) { Float($0) }
        case .float32(let p): copyRow(p + first, into: output) { $0 }
        case .float64(let p): copyRow(p + first, into: output) { Float($0) }
        }
    }

    /// One pass over a row: each value converted by `float`, then scaled or standardised (the same
    /// two roundings as converting first and normalising afterwards).
    @inline(__always)
    private func copyRow<Stored>(_ row: UnsafePointer<Stored>, into output: UnsafeMutablePointer<Float>,
                                 _ float: (Stored) -> Float) {
        let n = featureCount
        switch scaling {
        case .none: for j in 0..<n { output[j] = float(row[j]) }
        case .scale(let factor): for j in 0..<n { output[j] = float(row[j]) * factor }
        case .standardize(let mean, let std): for j in 0..<n { output[j] = (float(row[j]) - mean[j]) / std[j] }
        }
    }
}
