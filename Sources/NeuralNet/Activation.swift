/// An element-wise (or, for softmax, row-wise) non-linearity applied after a dense layer.
///
/// Backward passes need only the activation's *output* y, never its input z: every derivative here
/// can be written in terms of y (σ' = y(1−y), tanh' = 1−y², ReLU' = [y>0], …). So a layer keeps one
/// buffer per activation and the backward pass reads it.
public enum Activation: Sendable, Equatable, CustomStringConvertible {
    /// y = z
    case identity
    /// Heaviside: y = 1 if z > 0 else 0. Forward only: its derivative is zero almost everywhere.
    case step
    /// y = 1 / (1 + e^−z)
    case sigmoid
    /// y = tanh z
    case tanh
    /// y = max(0, z)
    case relu
    /// y = z if z > 0 else slope·z. PyTorch's default slope is 0.01 (Keras uses 0.3).
    case leakyReLU(slope: Float)
    /// Row-wise y_i = e^{z_i} / Σ_j e^{z_j}, computed with the row maximum subtracted.
    case softmax
    /// Row-wise y_i = z_i − log Σ_j e^{z_j} (log-probabilities, for the NLL loss), stable for any z.
    case logSoftmax

    /// Every activation with its default parameters, for listings and tests.
    public static let all: [Activation] = [.identity, .step, .sigmoid, .tanh, .relu, .leakyReLU(slope: 0.01), .softmax, .logSoftmax]

    /// Parses `identity`, `step`, `sigmoid`, `tanh`, `relu`, `leaky_relu`, `leaky_relu:SLOPE`, `softmax`.
    public init?(name: String) {
        let parts = name.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first ?? "" {
        case "identity", "linear", "none": self = .identity
        case "step", "heaviside": self = .step
        case "sigmoid", "logistic": self = .sigmoid
        case "tanh": self = .tanh
        case "relu": self = .relu
        case "leaky_relu", "leakyrelu", "leaky-relu":
            if parts.count == 2 {
                guard let slope = Float(parts[1]), slope.isFinite, slope >= 0 else { return nil }
                self = .leakyReLU(slope: slope)
            } else {
                self = .leakyReLU(slope: 0.01)
            }
        case "softmax": self = .softmax
        case "log_softmax", "logsoftmax": self = .logSoftmax
        default: return nil
        }
    }

    /// The name `init(name:)` parses back to the same value.
    public var description: String {
        switch self {
        case .identity: "identity"
        case .step: "step"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .relu: "relu"
        case .leakyReLU(let slope): slope == 0.01 ? "leaky_relu" : "leaky_relu:\(slope)"
        case .softmax: "softmax"
        case .logSoftmax: "log_softmax"
        }
    }

    /// False for `step`: a layer followed by it receives no gradient, so it cannot be trained.
    public var isTrainable: Bool { self != .step }

    /// Adds `bias` to every row of `z` (rows × columns) and applies the activation in place, in one pass.
    @inline(__always)
    public func addBiasAndApply(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let row = z + r * columns
            forEachLaneGroup(columns) { i, n in
                storeLanes(loadLanes(row, i, n) + loadLanes(bias, i, n), row, i, n)
            }
        }
        apply(z, rows: rows, columns: columns)
    }

    /// Applies the activation in place to `z` (rows × columns), turning it into y.
    public func apply(_ z: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let count = rows * columns
        switch self {
        case .identity:
            return
        case .step:
            forEachLaneGroup(count) { i, n in
                storeLanes(Lanes(repeating: 0).replacing(with: 1, where: loadLanes(z, i, n) .> 0), z, i, n)
            }
        case .sigmoid:
            for i in 0..<count { z[i] = Activation.sigmoid(z[i]) }
        case .tanh:
            for i in 0..<count { z[i] = _tanh(z[i]) }
        case .relu:
            forEachLaneGroup(count) { i, n in
                let v = loadLanes(z, i, n)
                storeLanes(v.replacing(with: 0, where: .!(v .> 0)), z, i, n)
            }
        case .leakyReLU(let slope):
            forEachLaneGroup(count) { i, n in
                let v = loadLanes(z, i, n)
                storeLanes(v.replacing(with: slope * v, where: .!(v .> 0)), z, i, n)
            }
        case .softmax:
            for r in 0..<rows { Activation.softmaxRow(z + r * columns, columns) }
        case .logSoftmax:
            for r in 0..<rows { Activation.logSoftmaxRow(z + r * columns, columns) }
        }
    }

    /// Turns ∂L/∂y into ∂L/∂z in place, given the activation's output y (rows × columns).
    public func backward(output y: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let count = rows * columns
        switch self {
        case .identity:
            return
        case .step:
            g.update(repeating: 0, count: count)
        case .sigmoid:
            forEachLaneGroup(count) { i, n in
                let out = loadLanes(y, i, n)
                storeLanes(loadLanes(g, i, n) * (out * (1 - out)), g, i, n)
            }
        case .tanh:
            forEachLaneGroup(count) { i, n in
                let out = loadLanes(y, i, n)
                storeLanes(loadLanes(g, i, n) * (1 - out * out), g, i, n)
            }
        case .relu:
            forEachLaneGroup(count) { i, n in
                storeLanes(loadLanes(g, i, n).replacing(with: 0, where: .!(loadLanes(y, i, n) .> 0)), g, i, n)
            }
        case .leakyReLU(let slope):
            // y > 0 exactly when z > 0 (for slope ≥ 0), so the output tells which branch applied.
            forEachLaneGroup(count) { i, n in
                let grad = loadLanes(g, i, n)
                storeLanes(grad.replacing(with: slope * grad, where: .!(loadLanes(y, i, n) .> 0)), g, i, n)
            }
        case .softmax:
            // ∂L/∂z_i = y_i (g_i − Σ_j g_j y_j), the Jacobian-vector product of softmax.
            for r in 0..<rows {
                let yr = y + r * columns, gr = g + r * columns
                var dot: Float = 0
                for c in 0..<columns { dot += gr[c] * yr[c] }
                for c in 0..<columns { gr[c] = yr[c] * (gr[c] - dot) }
            }
        case .logSoftmax:
            // ∂L/∂z_i = g_i − softmax_i · Σ_j g_j, with softmax_i = e^{y_i}.
            for r in 0..<rows {
                let yr = y + r * columns, gr = g + r * columns
                var sum: Float = 0
                for c in 0..<columns { sum += gr[c] }
                for c in 0..<columns { gr[c] -= _exp(yr[c]) * sum }
            }
        }
    }

    /// σ(z) without overflow for large |z|.
    @inline(__always)
    static func sigmoid(_ z: Float) -> Float {
        if z >= 0 {
            return 1 / (1 + _exp(-z))
        }
        let e = _exp(z)
        return e / (1 + e)
    }

    /// Log-softmax of one row in place: z − (max + log Σ e^{z − max}).
    @inline(__always)
    static func logSoftmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        var maximum = -Float.infinity
        for c in 0..<n where row[c] > maximum { maximum = row[c] }
        var sum: Double = 0
        for c in 0..<n { sum += _expD(Double(row[c] - maximum)) }
        let logSum = maximum + Float(_logD(sum))
        for c in 0..<n { row[c] -= logSum }
    }

    /// Softmax of one row in place, stable for any magnitude of its entries.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        var maximum = -Float.infinity
        for c in 0..<n where row[c] > maximum { maximum = row[c] }
        var sum: Float = 0
        for c in 0..<n {
            row[c] = _exp(row[c] - maximum)
            sum += row[c]
        }
        let inverse = 1 / sum
        for c in 0..<n { row[c] *= inverse }
    }
}
