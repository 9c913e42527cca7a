import DataParallel

/// Features in memory in their stored type (rows × featureCount), with the normalisation that turns
/// them into what the network sees.
///
/// uint8 stays one byte a value and float64 eight; other integer types are converted to Float32 when
/// read. Rows become Float32 only when they are gathered (``withRows(_:)`` gives the view the step's
/// workers copy from): each value is `Float(stored)` then scaled or standardised in Float, exactly
/// what converting and normalising the whole matrix at load gives.
public struct FeatureMatrix: Sendable {
    /// The stored values, rows × featureCount, row after row.
    public enum Storage: Sendable {
        case uint8([UInt8])
        case float32([Float])
        case float64([Double])
    }

    public private(set) var storage: Storage
    public let featureCount: Int
    /// Applied as rows are read; `.none` until the loader fits one.
    public private(set) var normalization: Normalization = .none

    public init(_ storage: Storage, featureCount: Int) {
        precondition(featureCount > 0, "rows need at least one feature")
        (self.storage, self.featureCount) = (storage, featureCount)
    }

    /// Float32 features used as they are.
    public init(float32 values: [Float], featureCount: Int) {
        self.init(.float32(values), featureCount: featureCount)
    }

    /// Stored values (rows × featureCount).
    public var count: Int {
        switch storage {
        case .uint8(let values): values.count
        case .float32(let values): values.count
        case .float64(let values): values.count
        }
    }

    public var rows: Int { count / featureCount }

    /// Bytes the stored values take.
    public var byteCount: Int {
        switch storage {
        case .uint8(let values): values.count
        case .float32(let values): values.count * 4
        case .float64(let values): values.count * 8
        }
    }

    /// Sets the normalisation rows are read with (the matrix must not have one yet).
    public mutating func normalize(with normalization: Normalization) {
        precondition(self.normalization == .none, "features are normalised once")
        if case .standardize(let mean, _) = normalization {
            precondition(mean.count == featureCount, "normalisation was fitted to \(mean.count) features, not \(featureCount)")
        }
        self.normalization = normalization
    }

    /// Chooses the normalisation for these (training) features, as `Normalization.fit` does on
    /// their Float32 values.
    public func fitNormalization(_ request: Normalization.Request, unsignedMaximum: Double?) -> Normalization {
        switch storage {
        case .uint8(let values):
            Normalization.fit(request, features: values.lazy.map { Float($0) }, featureCount: featureCount,
                              unsignedMaximum: unsignedMaximum)
        case .float32(let values):
            Normalization.fit(request, features: values, featureCount: featureCount, unsignedMaximum: unsignedMaximum)
        case .float64(let values):
            Normalization.fit(request, features: values.lazy.map { Float($0) }, featureCount: featureCount,
                              unsignedMaximum: unsignedMaximum)
        }
    }

    /// Calls `body` with a view of the rows that converts and normalises them as they are copied.
    public func withRows<Result>(_ body: (FeatureRows) -> Result) -> Result {
        withScaling { scaling in
            switch storage {
            case .uint8(let values):
                values.withUnsafeBufferPointer { body(FeatureRows(values: .uint8($0.baseAddress!), scaling: scaling, featureCount: featureCount)) }
            case .float32(let values):
                values.withUnsafeBufferPointer { body(FeatureRows(values: .float32($0.baseAddress!), scaling: scaling, featureCount: featureCount)) }
            case .float64(let values):
                values.withUnsafeBufferPointer { body(FeatureRows(values: .float64($0.baseAddress!), scaling: scaling, featureCount: featureCount)) }
            }
        }
    }

    private func withScaling<Result>(_ body: (FeatureRows.Scaling) -> Result) -> Result {
        switch normalization {
        case .none:
            body(.none)
        case .scale(let factor):
            body(.scale(factor))
        case .standardize(let mean, let std):
            mean.withUnsafeBufferPointer { m in
                std.withUnsafeBufferPointer { s in body(.standardize(mean: m.baseAddress!, std: s.baseAddress!)) }
            }
        }
    }

    /// The rows `range` as the network sees them (range.count × featureCount Float32 values).
    public func floatValues(rows range: Range<Int>) -> [Float] {
        [Float](unsafeUninitializedCapacity: range.count * featureCount) { buffer, initialized in
            withRows { $0.copyRows(range, into: buffer.baseAddress!) }
            initialized = range.count * featureCount
        }
    }

    /// The rows at `indices`, in that order, in the stored type and with the same normalisation.
    public func subset(_ indices: some Collection<Int>) -> FeatureMatrix {
        func pick<T>(_ values: [T]) -> [T] {
            var picked: [T] = []
            picked.reserveCapacity(indices.count * featureCount)
            for i in indices { picked.append(contentsOf: values[(i * featureCount)..<((i + 1) * featureCount)]) }
            return picked
        }
        var result: FeatureMatrix
        switch storage {
        case .uint8(let values): result = FeatureMatrix(.uint8(pick(values)), featureCount: featureCount)
        case .float32(let values): result = FeatureMatrix(.float32(pick(values)), featureCount: featureCount)
        case .float64(let values): result = FeatureMatrix(.float64(pick(values)), featureCount: featureCount)
        }
        result.normalization = normalization
        return result
    }

    /// The flat position and Float32 value of the first stored value that is NaN or ±∞ as Float32.
    public func firstNonFinite() -> (index: Int, value: Float)? {
        switch storage {
        case .uint8:
            return nil
        case .float32(let values):
            return values.firstIndex { !$0.isFinite }.map { ($0, values[$0]) }
        case .float64(let values):
            return values.firstIndex { !Float($0).isFinite }.map { ($0, Float(values[$0])) }
        }
    }
}
