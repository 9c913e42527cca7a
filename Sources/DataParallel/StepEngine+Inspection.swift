extension StepEngine {
    /// Lends `body` the model's parameters, laid out as `architecture` lays them out; valid only
    /// inside `body` and between steps.
    public func withParameters<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: parameters, count: architecture.parameterCount))
    }

    /// Lends `body` the batch-mean gradient of the last step (laid out as the parameters, after
    /// clipping, if any; all zeros before the first step); valid only inside `body` and between steps.
    public func withLastGradient<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: gradient, count: architecture.parameterCount))
    }
}
