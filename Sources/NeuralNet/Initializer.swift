/// How a dense layer's weights are drawn before training. Biases start at zero.
///
/// `fanIn` is the layer's input count n, `fanOut` its output count m.
public enum Initializer: Sendable, Equatable, CustomStringConvertible {
    case zeros
    case constant(Float)
    /// U[a, b]
    case uniform(Float, Float)
    /// N(mean, std²)
    case normal(mean: Float, std: Float)
    /// N(0, 1/n)
    case lecunNormal
    /// U[±√(3/n)]
    case lecunUniform
    /// Xavier's original rule U[±1/√n].
    case xavierUniform
    /// Normalised Xavier (Glorot) U[±√6/√(n+m)].
    case glorotUniform
    /// N(0, 2/(n+m))
    case glorotNormal
    /// He/Kaiming N(0, 2/n), for ReLU layers.
    case heNormal
    /// He/Kaiming U[±√(6/n)].
    case heUniform

    /// The usual choice for a layer followed by `activation`: He for the ReLU family (leaky ReLU, ELU, GELU, SiLU),
    /// normalised Xavier (Glorot) for everything else (tanh, sigmoid, identity, softmax).
    public static func defaultFor(_ activation: Activation) -> Initializer {
        switch activation {
        case .relu, .leakyReLU, .elu, .gelu, .geluTanh, .silu: .heNormal
        default: .glorotUniform
        }
    }

    /// Parses `zeros`, `constant:V`, `uniform:A,B`, `normal:MEAN,STD`, `lecun_normal`, `lecun_uniform`,
    /// `xavier`, `glorot_uniform`, `glorot_normal`, `he_normal`, `he_uniform`.
    public init?(name: String) {
        let parts = name.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        let fields = parts.count == 2 ? parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Float($0) } : []
        guard fields.allSatisfy({ $0?.isFinite == true }) else { return nil }
        let numbers = fields.compactMap { $0 }
        switch parts.first ?? "" {
        case "zeros": self = .zeros
        case "constant":
            guard numbers.count == 1 else { return nil }
            self = .constant(numbers[0])
        case "uniform":
            guard numbers.count == 2, numbers[0] < numbers[1] else { return nil }
            self = .uniform(numbers[0], numbers[1])
        case "normal":
            guard numbers.count == 2, numbers[1] >= 0 else { return nil }
            self = .normal(mean: numbers[0], std: numbers[1])
        case "lecun_normal": self = .lecunNormal
        case "lecun_uniform": self = .lecunUniform
        case "xavier", "xavier_uniform": self = .xavierUniform
        case "glorot_uniform", "normalized_xavier", "glorot": self = .glorotUniform
        case "glorot_normal", "xavier_normal": self = .glorotNormal
        case "he_normal", "kaiming_normal", "he": self = .heNormal
        case "he_uniform", "kaiming_uniform": self = .heUniform
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .zeros: "zeros"
        case .constant(let v): "constant:\(v)"
        case .uniform(let a, let b): "uniform:\(a),\(b)"
        case .normal(let mean, let std): "normal:\(mean),\(std)"
        case .lecunNormal: "lecun_normal"
        case .lecunUniform: "lecun_uniform"
        case .xavierUniform: "xavier"
        case .glorotUniform: "glorot_uniform"
        case .glorotNormal: "glorot_normal"
        case .heNormal: "he_normal"
        case .heUniform: "he_uniform"
        }
    }

    /// True for initialisers that give every weight the same value, which leaves hidden units
    /// identical (symmetric) so they can never learn different features.
    public var isSymmetric: Bool {
        switch self {
        case .zeros, .constant: true
        default: false
        }
    }

    /// Fills `weights` (n × m; every weight is drawn alike) for a layer with `fanIn` n and `fanOut` m.
    public func fill(_ weights: UnsafeMutableBufferPointer<Float>, fanIn: Int, fanOut: Int, using rng: inout Xoshiro256) {
        let n = Double(fanIn), m = Double(fanOut)
        switch self {
        case .zeros: weights.update(repeating: 0)
        case .constant(let value): weights.update(repeating: value)
        case .uniform(let a, let b): fillUniform(weights, Double(a), Double(b), &rng)
        case .normal(let mean, let std): fillNormal(weights, Double(mean), Double(std), &rng)
        case .lecunNormal: fillNormal(weights, 0, (1 / n).squareRoot(), &rng)
        case .lecunUniform: fillSymmetric(weights, (3 / n).squareRoot(), &rng)
        case .xavierUniform: fillSymmetric(weights, 1 / n.squareRoot(), &rng)
        case .glorotUniform: fillSymmetric(weights, (6 / (n + m)).squareRoot(), &rng)
        case .glorotNormal: fillNormal(weights, 0, (2 / (n + m)).squareRoot(), &rng)
        case .heNormal: fillNormal(weights, 0, (2 / n).squareRoot(), &rng)
        case .heUniform: fillSymmetric(weights, (6 / n).squareRoot(), &rng)
        }
    }

    private func fillSymmetric(_ w: UnsafeMutableBufferPointer<Float>, _ limit: Double, _ rng: inout Xoshiro256) {
        fillUniform(w, -limit, limit, &rng)
    }

    private func fillUniform(_ w: UnsafeMutableBufferPointer<Float>, _ a: Double, _ b: Double, _ rng: inout Xoshiro256) {
        for i in w.indices { w[i] = Float(a + (b - a) * rng.nextUnitDouble()) }
    }

    private func fillNormal(_ w: UnsafeMutableBufferPointer<Float>, _ mean: Double, _ std: Double, _ rng: inout Xoshiro256) {
        for i in w.indices { w[i] = Float(mean + std * rng.nextStandardNormal()) }
    }
}
