#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An element-wise (or, for softmax, row-wise) non-linearity applied after a dense layer.
///
/// Most derivatives here can be written in terms of the activation's *output* y alone (σ' = y(1−y),
/// tanh' = 1−y², ReLU' = [y>0], ELU' = y+α for y ≤ 0, softplus' = 1 − e^{−βy}, …), so for those a
/// layer keeps one buffer, y, and the backward pass reads it. GELU and SiLU are not invertible
/// functions of z, so their derivative needs the pre-activation z itself: `needsInput` is true for
/// them, and a layer using one must also keep z (see `addBiasAndApply(_:bias:rows:columns:keepingInputIn:)`
/// and `backward(input:output:gradient:rows:columns:)`).
///
/// Parameter defaults are PyTorch's: ELU α = 1, softplus β = 1 with threshold 20, GELU exact (erf).
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
    /// ELU (Clevert et al. 2015): y = z if z > 0 else α·(e^z − 1), computed with expm1.
    /// dy/dz = 1 if z > 0 else α·e^z = y + α. PyTorch's default α is 1; α ≥ 0 here, so y > 0 ⇔ z > 0
    /// and the derivative follows from y alone.
    case elu(alpha: Float)
    /// GELU, exact (PyTorch's default `approximate='none'`): y = z·Φ(z) = ½·z·(1 + erf(z/√2)),
    /// computed as z·½·erfc(−z/√2), which keeps Φ accurate in the far negative tail.
    /// dy/dz = Φ(z) + z·φ(z), φ(z) = e^{−z²/2}/√(2π). Needs z for the backward pass.
    case gelu
    /// GELU, tanh approximation (PyTorch's `approximate='tanh'`):
    /// y = ½·z·(1 + tanh u), u = √(2/π)·(z + 0.044715·z³), computed as z·σ(2u) (the same function,
    /// since ½(1 + tanh u) = σ(2u)) with the overflow-free sigmoid.
    /// dy/dz = σ(2u) + 2z·σ(2u)(1 − σ(2u))·√(2/π)(1 + 3·0.044715·z²). Needs z for the backward pass.
    case geluTanh
    /// SiLU, also called Swish (with β = 1): y = z·σ(z) = z / (1 + e^−z), with the overflow-free sigmoid.
    /// dy/dz = σ(z)·(1 + z·(1 − σ(z))). Needs z for the backward pass.
    case silu
    /// Softplus: y = (1/β)·log(1 + e^{βz}), and y = z where β·z > 20 (PyTorch's threshold, which
    /// also keeps e^{βz} ≤ e^20 from overflowing; log1p keeps e^{βz} → 0 exact). PyTorch's default β is 1.
    /// dy/dz = σ(βz) = 1 − e^{−βy}, computed as −expm1(−βy) so that it stays accurate where it is tiny.
    case softplus(beta: Float)

    /// PyTorch's softplus threshold: above β·z = 20 softplus returns z itself.
    public static let softplusThreshold: Float = 20

    /// Every activation with its default parameters, for listings and tests.
    public static let all: [Activation] = [
        .identity, .step, .sigmoid, .tanh, .relu, .leakyReLU(slope: 0.01), .softmax, .logSoftmax,
        .elu(alpha: 1), .gelu, .geluTanh, .silu, .softplus(beta: 1),
    ]

    /// Parses `identity`, `step`, `sigmoid`, `tanh`, `relu`, `leaky_relu`, `leaky_relu:SLOPE` (SLOPE ≥ 0),
    /// `softmax`, `log_softmax`, `elu`, `elu:ALPHA` (ALPHA ≥ 0), `gelu` (also `gelu:none`), `gelu_tanh`
    /// (also `gelu:tanh`), `silu` (also `swish`), `softplus`, `softplus:BETA` (BETA > 0), case-insensitively.
    /// Parameters must be finite numbers in range, and names without a parameter take no `:…`.
    public init?(name: String) {
        let parts = name.lowercased().split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let key = parts[0], parameter: String? = parts.count == 2 ? parts[1] : nil
        /// The parameter as a number, `fallback` when there is none, nil when malformed or out of range.
        func number(default fallback: Float, where isValid: (Float) -> Bool) -> Float? {
            guard let parameter else { return fallback }
            guard let value = Float(parameter), isValid(value) else { return nil }
            return value
        }
        switch (key, parameter) {
        case ("identity", nil), ("linear", nil), ("none", nil): self = .identity
        case ("step", nil), ("heaviside", nil): self = .step
        case ("sigmoid", nil), ("logistic", nil): self = .sigmoid
        case ("tanh", nil): self = .tanh
        case ("relu", nil): self = .relu
        case ("leaky_relu", _), ("leakyrelu", _), ("leaky-relu", _):
            guard let slope = number(default: 0.01, where: { $0.isFinite && $0 >= 0 }) else { return nil }
            self = .leakyReLU(slope: slope)
        case ("softmax", nil): self = .softmax
        case ("log_softmax", nil), ("logsoftmax", nil): self = .logSoftmax
        case ("elu", _):
            guard let alpha = number(default: 1, where: { $0.isFinite && $0 >= 0 }) else { return nil }
            self = .elu(alpha: alpha)
        case ("gelu", nil), ("gelu", "none"?): self = .gelu
        case ("gelu_tanh", nil), ("gelu", "tanh"?): self = .geluTanh
        case ("silu", nil), ("swish", nil): self = .silu
        case ("softplus", _):
            // isNormal: finite, non-zero and not subnormal, so 1/β and log(2)/β stay finite.
            guard let beta = number(default: 1, where: { $0.isNormal && $0 > 0 }) else { return nil }
            self = .softplus(beta: beta)
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
        case .elu(let alpha): alpha == 1 ? "elu" : "elu:\(alpha)"
        case .gelu: "gelu"
        case .geluTanh: "gelu_tanh"
        case .silu: "silu"
        case .softplus(let beta): beta == 1 ? "softplus" : "softplus:\(beta)"
        }
    }

    /// False for `step`: a layer followed by it receives no gradient, so it cannot be trained.
    public var isTrainable: Bool { self != .step }

    /// True when the backward pass needs the pre-activation z as well as the output y (GELU, SiLU),
    /// so a layer with this activation must keep z; false when y alone determines the derivative.
    public var needsInput: Bool {
        switch self {
        case .gelu, .geluTanh, .silu: true
        case .identity, .step, .sigmoid, .tanh, .relu, .leakyReLU, .softmax, .logSoftmax, .elu, .softplus: false
        }
    }

    /// max(v, 0) per lane (NaN and −0 give +0).
    @inline(__always)
    static func relu(_ v: Lanes) -> Lanes { v.replacing(with: 0, where: .!(v .> 0)) }

    /// v, or slope·v where v is not positive, per lane.
    @inline(__always)
    static func leakyReLU(_ v: Lanes, slope: Float) -> Lanes { v.replacing(with: slope * v, where: .!(v .> 0)) }

    /// Adds `bias` to every row of `z` (rows × columns) and applies the activation in place, in one pass.
    ///
    /// - Parameter preActivation: when non-nil (rows × columns, not overlapping `z`), also receives
    ///   z + bias, the activation's input, in the same pass — what `backward(input:…)` needs for
    ///   activations with `needsInput`.
    @inline(__always)
    public func addBiasAndApply(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, columns: Int,
                                keepingInputIn preActivation: UnsafeMutablePointer<Float>? = nil) {
        if let preActivation {
            for r in 0..<rows {
                let row = z + r * columns, kept = preActivation + r * columns
                @inline(__always) func group(_ i: Int, _ n: Int) {
                    let v = loadLanes(row, i, n) + loadLanes(bias, i, n)
                    storeLanes(v, row, i, n)
                    storeLanes(v, kept, i, n)
                }
                forEachLaneGroup(columns, group)
            }
        } else {
            switch self {
            // The common hidden layers: bias and activation in one pass, the same operations as `apply`.
            case .relu:
                for r in 0..<rows {
                    let row = z + r * columns
                    @inline(__always) func group(_ i: Int, _ n: Int) {
                        storeLanes(Activation.relu(loadLanes(row, i, n) + loadLanes(bias, i, n)), row, i, n)
                    }
                    forEachLaneGroup(columns, group)
                }
                return
            case .leakyReLU(let slope):
                for r in 0..<rows {
                    let row = z + r * columns
                    @inline(__always) func group(_ i: Int, _ n: Int) {
                        storeLanes(Activation.leakyReLU(loadLanes(row, i, n) + loadLanes(bias, i, n), slope: slope), row, i, n)
                    }
                    forEachLaneGroup(columns, group)
                }
                return
            default:
                for r in 0..<rows {
                    let row = z + r * columns
                    @inline(__always) func group(_ i: Int, _ n: Int) {
                        storeLanes(loadLanes(row, i, n) + loadLanes(bias, i, n), row, i, n)
                    }
                    forEachLaneGroup(columns, group)
                }
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
            @inline(__always) func group(_ i: Int, _ n: Int) {
                storeLanes(Lanes(repeating: 0).replacing(with: 1, where: loadLanes(z, i, n) .> 0), z, i, n)
            }
            forEachLaneGroup(count, group)
        case .sigmoid:
            for i in 0..<count { z[i] = Activation.sigmoid(z[i]) }
        case .tanh:
            for i in 0..<count { z[i] = _tanh(z[i]) }
        case .relu:
            @inline(__always) func group(_ i: Int, _ n: Int) { storeLanes(Activation.relu(loadLanes(z, i, n)), z, i, n) }
            forEachLaneGroup(count, group)
        case .leakyReLU(let slope):
            @inline(__always) func group(_ i: Int, _ n: Int) {
                storeLanes(Activation.leakyReLU(loadLanes(z, i, n), slope: slope), z, i, n)
            }
            forEachLaneGroup(count, group)
        case .softmax:
            for r in 0..<rows { Activation.softmaxRow(z + r * columns, columns) }
        case .logSoftmax:
            for r in 0..<rows { Activation.logSoftmaxRow(z + r * columns, columns) }
        case .elu(let alpha):
            for i in 0..<count where !(z[i] > 0) { z[i] = alpha * expm1f(z[i]) }
        case .gelu:
            for i in 0..<count { z[i] = Activation.gelu(z[i]) }
        case .geluTanh:
            for i in 0..<count { z[i] = z[i] * Activation.sigmoid(2 * Activation.geluTanhInner(z[i])) }
        case .silu:
            for i in 0..<count { z[i] = z[i] * Activation.sigmoid(z[i]) }
        case .softplus(let beta):
            for i in 0..<count {
                let scaled = beta * z[i]
                if !(scaled > Activation.softplusThreshold) { z[i] = _log1p(_exp(scaled)) / beta }
            }
        }
    }

    /// Turns ∂L/∂y into ∂L/∂z in place, given the activation's output y (rows × columns).
    ///
    /// Only for activations whose derivative follows from y (`needsInput` false); the others need
    /// `backward(input:output:gradient:rows:columns:)`.
    public func backward(output y: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        precondition(!needsInput, "\(self): the backward pass needs the pre-activation z; use backward(input:output:…)")
        backward(input: nil, output: y, gradient: g, rows: rows, columns: columns)
    }

    /// Turns ∂L/∂y into ∂L/∂z in place, given the activation's input z and output y (rows × columns,
    /// row-aligned with `g`).
    ///
    /// - Parameter z: the pre-activation (z + bias, before `apply`). Required when `needsInput`;
    ///   may be nil otherwise, and is then not read: those activations use y only, so their gradient
    ///   is the same whether or not z is kept.
    public func backward(input z: UnsafePointer<Float>?, output y: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>,
                         rows: Int, columns: Int) {
        precondition(z != nil || !needsInput, "\(self): the backward pass needs the pre-activation z")
        let count = rows * columns
        switch self {
        case .identity:
            return
        case .step:
            g.update(repeating: 0, count: count)
        case .sigmoid:
            @inline(__always) func group(_ i: Int, _ n: Int) {
                let out = loadLanes(y, i, n)
                storeLanes(loadLanes(g, i, n) * (out * (1 - out)), g, i, n)
            }
            forEachLaneGroup(count, group)
        case .tanh:
            @inline(__always) func group(_ i: Int, _ n: Int) {
                let out = loadLanes(y, i, n)
                storeLanes(loadLanes(g, i, n) * (1 - out * out), g, i, n)
            }
            forEachLaneGroup(count, group)
        case .relu:
            @inline(__always) func group(_ i: Int, _ n: Int) {
                storeLanes(loadLanes(g, i, n).replacing(with: 0, where: .!(loadLanes(y, i, n) .> 0)), g, i, n)
            }
            forEachLaneGroup(count, group)
        case .leakyReLU(let slope):
            // y > 0 exactly when z > 0 (for slope ≥ 0), so the output tells which branch applied.
            @inline(__always) func group(_ i: Int, _ n: Int) {
                let grad = loadLanes(g, i, n)
                storeLanes(grad.replacing(with: slope * grad, where: .!(loadLanes(y, i, n) .> 0)), g, i, n)
            }
            forEachLaneGroup(count, group)
        case .softmax, .logSoftmax:
            backwardByRow(output: y, gradient: g, rows: rows, columns: columns)
        case .elu(let alpha):
            // y > 0 exactly when z > 0 (α ≥ 0); elsewhere α·e^z = y + α (PyTorch's own form for a kept result).
            @inline(__always) func group(_ i: Int, _ n: Int) {
                let grad = loadLanes(g, i, n), out = loadLanes(y, i, n)
                storeLanes(grad.replacing(with: grad * (out + alpha), where: .!(out .> 0)), g, i, n)
            }
            forEachLaneGroup(count, group)
        case .softplus(let beta):
            // σ(βz) = 1 − 1/(1 + e^{βz}) = 1 − e^{−βy}; where y = z (βz > 20) this is 1 to Float precision.
            for i in 0..<count { g[i] *= -expm1f(-beta * y[i]) }
        case .gelu, .geluTanh, .silu:
            backwardFromInput(z.unsafelyUnwrapped, gradient: g, count: count)  // z checked above
        }
    }

    /// `backward` for the activations that couple a row's outputs: softmax and log-softmax.
    private func backwardByRow(output y: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let yr = y + r * columns, gr = g + r * columns
            if case .softmax = self {
                // ∂L/∂z_i = y_i (g_i − Σ_j g_j y_j), the Jacobian-vector product of softmax.
                var dot: Float = 0
                for c in 0..<columns { dot += gr[c] * yr[c] }
                for c in 0..<columns { gr[c] = yr[c] * (gr[c] - dot) }
            } else {
                // ∂L/∂z_i = g_i − softmax_i · Σ_j g_j, with softmax_i = e^{y_i}.
                var sum: Float = 0
                for c in 0..<columns { sum += gr[c] }
                for c in 0..<columns { gr[c] -= _exp(yr[c]) * sum }
            }
        }
    }

    /// `backward` for the activations whose derivative needs the pre-activation z: GELU (both
    /// forms) and SiLU.
    private func backwardFromInput(_ z: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu:
            for i in 0..<count { g[i] *= Activation.geluDerivative(z[i]) }
        case .geluTanh:
            for i in 0..<count { g[i] *= Activation.geluTanhDerivative(z[i]) }
        default:  // silu
            for i in 0..<count {
                let s = Activation.sigmoid(z[i])
                g[i] *= s * (1 + z[i] * (1 - s))
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

    /// 1/√2, √(2/π) and 1/√(2π), for the GELU formulas.
    private static let sqrtHalf: Float = 0.707_106_781_186_547_524
    private static let sqrtTwoOverPi: Float = 0.797_884_560_802_865_356
    private static let inverseSqrtTwoPi: Float = 0.398_942_280_401_432_678
    /// The cubic coefficient of the tanh approximation of GELU.
    private static let geluTanhKappa: Float = 0.044715

    /// Exact GELU z·Φ(z), Φ(z) = ½·erfc(−z/√2): no cancellation for z ≪ 0, Φ → 0 or 1 for |z| large.
    @inline(__always)
    static func gelu(_ z: Float) -> Float {
        z * (0.5 * erfcf(-z * sqrtHalf))
    }

    /// Φ(z) + z·φ(z). For |z| large, φ underflows to 0 (z² stays finite up to |z| ≈ 1.8e19, and
    /// e^{−∞} = 0 beyond), so this is exactly 1 or 0 there.
    @inline(__always)
    static func geluDerivative(_ z: Float) -> Float {
        0.5 * erfcf(-z * sqrtHalf) + z * (inverseSqrtTwoPi * _exp(-0.5 * z * z))
    }

    /// u = √(2/π)·(z + κz³) of the tanh approximation (±∞ once z³ overflows, which σ handles).
    @inline(__always)
    static func geluTanhInner(_ z: Float) -> Float {
        sqrtTwoOverPi * (z + geluTanhKappa * (z * z * z))
    }

    /// d/dz [z·σ(2u)] = s + 2z·s(1 − s)·u′ with s = σ(2u), u′ = √(2/π)(1 + 3κz²). s(1 − s) is computed
    /// as e/(1 + e)², e = e^{−|2u|}, accurate on both tails; where it is 0 the second term is dropped,
    /// since z·u′ overflows to ∞ for |z| ≳ 1e13 and 0·∞ would be NaN.
    @inline(__always)
    static func geluTanhDerivative(_ z: Float) -> Float {
        let t = 2 * geluTanhInner(z)
        let e = _exp(-abs(t)), inverse = 1 / (1 + e)
        let s = t >= 0 ? inverse : e * inverse
        let slope = e * inverse * inverse
        if slope == 0 { return s }
        return s + 2 * z * slope * (sqrtTwoOverPi * (1 + 3 * geluTanhKappa * (z * z)))
    }

    /// Log-softmax of one row in place: z − (max + log Σ e^{z − max}).
    @inline(__always)
    static func logSoftmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        let terms = LogSumExp(row, count: n)
        let logSum = terms.maximum + Float(_log(terms.sum))
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
