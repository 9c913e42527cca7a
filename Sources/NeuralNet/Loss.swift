/// Cross-entropy's options, with PyTorch's meaning:
/// `torch.nn.functional.cross_entropy(z, t, weight=w, label_smoothing=ε)` with `reduction='mean'`.
///
/// For logits z (K classes), class t, target distribution q = (1 − ε)·onehot(t) + ε/K and class
/// weights w (all 1 without weights), each sample contributes
///
///     ℓ = Σ_k c_k·(log Σ_j e^{z_j} − z_k),   c_k = (1 − ε)·w_t·[k = t] + (ε/K)·w_k
///     ∂ℓ/∂z_k = C·softmax(z)_k − c_k,        C = Σ_k c_k = (1 − ε)·w_t + (ε/K)·Σ_k w_k
///
/// and the batch loss is Σ_samples ℓ / Σ_samples w_t — the weights of the samples' own classes,
/// not the row count, as PyTorch normalises `weight=` (its smoothing term is weighted by w_k and
/// divided by the same Σ w_t). Without weights c = q, C = 1, ∂ℓ/∂z = softmax(z) − q and the
/// divisor is the row count; with ε = 0, ℓ = w_t·(log Σ_j e^{z_j} − z_t).
public struct CrossEntropyOptions: Sendable, Equatable, CustomStringConvertible {
    /// ε in [0, 1): the share of the target spread uniformly over the K classes.
    public var labelSmoothing: Float
    /// One non-negative weight per class (nil: all 1).
    public var classWeights: [Float]?

    public init(labelSmoothing: Float = 0, classWeights: [Float]? = nil) {
        self.labelSmoothing = labelSmoothing
        self.classWeights = classWeights
    }

    /// No smoothing, no weights: plain cross-entropy.
    public static let standard = CrossEntropyOptions()

    public var isStandard: Bool { labelSmoothing == 0 && classWeights == nil }

    /// `label smoothing 0.1, class weights [1.0, 2.0]`, or `none`.
    public var description: String {
        var parts: [String] = []
        if labelSmoothing != 0 { parts.append("label smoothing \(labelSmoothing)") }
        if let classWeights { parts.append("class weights \(classWeights)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}

/// What `Loss.lossSum` returns for some rows: Σ of their (weighted) per-sample losses and Σ of their
/// weights. The batch loss is `loss / weight` — summed over shards first, so that sharded sums give
/// exactly the batch's weighted mean. `weight` is the row count except for cross-entropy with class
/// weights, where it is Σ w_t over the rows' classes.
public struct LossSum: Sendable, Equatable {
    public var loss: Double
    public var weight: Double

    public init(loss: Double, weight: Double) {
        self.loss = loss
        self.weight = weight
    }
}

/// A training objective: per-sample loss, averaged over the batch.
///
/// Targets are always a rows × `targetWidth` Float32 matrix: for the class-based losses
/// (cross-entropy, NLL) one column holding the class id (exact as a Float below 2²⁴); for the others
/// the same width as the network output.
///
/// `lossSum` (and `lossAndGradient`) returns the **sum** of per-sample losses over the rows it is
/// given and writes ∂(that sum)/∂(outputs); the aggregator divides by the batch's weight (the batch
/// size, or Σ w_t with class weights), which is what makes sharded sums add up to exactly the batch
/// mean.
public enum Loss: Sendable, Equatable, CustomStringConvertible {
    /// Softmax followed by cross-entropy, fused: takes logits z. ℓ = log Σ_j e^{z_j} − z_t, or with
    /// label smoothing and class weights the form `CrossEntropyOptions` gives.
    case softmaxCrossEntropy(options: CrossEntropyOptions)
    /// Negative log-likelihood of log-probabilities y: ℓ = −y_t.
    case negativeLogLikelihood
    /// Sigmoid followed by binary cross-entropy per output, fused: takes logits; ℓ = mean_k BCE(σ(z_k), t_k).
    case binaryCrossEntropy
    /// ℓ = mean_k (y_k − t_k)²
    case meanSquaredError
    /// ℓ = mean_k |y_k − t_k|
    case meanAbsoluteError
    /// Huber(δ): ½d² for |d| < δ, else δ(|d| − ½δ), averaged over outputs. SmoothL1(β) = Huber(β)/β.
    case huber(delta: Float)
    /// Smooth L1(β), PyTorch's `smooth_l1_loss`: s(d) = 0.5·d²/β for |d| < β, else |d| − 0.5·β,
    /// averaged over outputs; ∂s/∂d = d/β for |d| < β, else sign(d). SmoothL1(β) = Huber(β)/β: the
    /// slope is capped at 1 (Huber's at δ), and small errors are weighted by 1/β.
    case smoothL1(beta: Float)

    /// Plain cross-entropy (no label smoothing, no class weights). As an expression
    /// `.softmaxCrossEntropy` is this value; as a pattern (`case .softmaxCrossEntropy:`) it matches
    /// the case with any options.
    public static var softmaxCrossEntropy: Loss { .softmaxCrossEntropy(options: .standard) }

    /// Parses `cross_entropy`, `nll`, `bce`, `mse`, `l1`/`mae`, `huber[:DELTA]`, `smooth_l1[:BETA]`.
    /// Cross-entropy's options are not part of the name (they have flags of their own).
    public init?(name: String) {
        let parts = name.lowercased().split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first ?? "" {
        case "cross_entropy", "crossentropy", "ce", "softmax_cross_entropy": self = .softmaxCrossEntropy
        case "nll": self = .negativeLogLikelihood
        case "bce", "binary_cross_entropy": self = .binaryCrossEntropy
        case "mse": self = .meanSquaredError
        case "l1", "mae": self = .meanAbsoluteError
        case "huber":
            let delta = parts.count == 2 ? Float(parts[1]) : 1
            guard let delta, delta > 0, delta.isFinite else { return nil }
            self = .huber(delta: delta)
        case "smooth_l1", "smoothl1":
            let beta = parts.count == 2 ? Float(parts[1]) : 1
            guard let beta, beta > 0, beta.isFinite else { return nil }
            self = .smoothL1(beta: beta)
        default: return nil
        }
    }

    /// The name `init(name:)` parses (for cross-entropy without its options).
    public var description: String {
        switch self {
        case .softmaxCrossEntropy: "cross_entropy"
        case .negativeLogLikelihood: "nll"
        case .binaryCrossEntropy: "bce"
        case .meanSquaredError: "mse"
        case .meanAbsoluteError: "l1"
        case .huber(let delta): delta == 1 ? "huber" : "huber:\(delta)"
        case .smoothL1(let beta): beta == 1 ? "smooth_l1" : "smooth_l1:\(beta)"
        }
    }

    /// True when targets are class ids (one column) rather than a value per output.
    public var usesClassIndices: Bool {
        switch self {
        case .softmaxCrossEntropy, .negativeLogLikelihood: true
        default: false
        }
    }

    /// Cross-entropy's options (nil for the other losses).
    public var crossEntropyOptions: CrossEntropyOptions? {
        if case .softmaxCrossEntropy(let options) = self { options } else { nil }
    }

    /// This loss with cross-entropy's options replaced by `options` (the other losses unchanged).
    public func withCrossEntropyOptions(_ options: CrossEntropyOptions) -> Loss {
        if case .softmaxCrossEntropy = self { .softmaxCrossEntropy(options: options) } else { self }
    }

    /// The name, and cross-entropy's options when it has any: `cross_entropy (label smoothing 0.1)`.
    public var summary: String {
        guard let options = crossEntropyOptions, !options.isStandard else { return description }
        return "\(description) (\(options)\(options.classWeights == nil ? "" : "; batch mean Σ w_t·ℓ / Σ w_t"))"
    }

    /// The activation the loss applies itself (fused) to the last layer's pre-activation outputs.
    /// When set, the training pass leaves the last layer's z un-activated and hands it to the loss.
    public var fusedActivation: Activation? {
        switch self {
        case .softmaxCrossEntropy: .softmax
        case .binaryCrossEntropy: .sigmoid
        default: nil
        }
    }

    /// Σ over `rows` of the per-sample loss and of the rows' weights; writes ∂(loss sum)/∂outputs
    /// into `gradient` when it is non-nil. Allocates nothing.
    ///
    /// - Parameters:
    ///   - outputs: rows × width network outputs (logits for fused losses).
    ///   - targets: rows × 1 class ids for class losses, else rows × width values.
    public func lossSum(
        outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, width: Int,
        gradient: UnsafeMutablePointer<Float>?
    ) -> LossSum {
        if case .softmaxCrossEntropy(let options) = self, !options.isStandard {
            return smoothedWeightedCrossEntropy(options, outputs: outputs, targets: targets, rows: rows, width: width, gradient: gradient)
        }
        var total = 0.0
        for r in 0..<rows {
            let y = outputs + r * width
            let g = gradient.map { $0 + r * width }
            if usesClassIndices {
                total += classLoss(y, classIndex: Int(targets[r]), width: width, gradient: g)
            } else {
                total += valueLoss(y, targets + r * width, width: width, gradient: g)
            }
        }
        return LossSum(loss: total, weight: Double(rows))
    }

    /// Sum over `rows` of the per-sample loss (`lossSum(…).loss`: with class weights, Σ w_t·ℓ);
    /// writes ∂sum/∂outputs into `gradient` when it is non-nil.
    public func lossAndGradient(
        outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, width: Int,
        gradient: UnsafeMutablePointer<Float>?
    ) -> Double {
        lossSum(outputs: outputs, targets: targets, rows: rows, width: width, gradient: gradient).loss
    }

    /// Cross-entropy with label smoothing and/or class weights (formulas at `CrossEntropyOptions`),
    /// in float64 per row: ℓ = Σ_k c_k·(lse − z_k), each term ≥ 0; ∂ℓ/∂z_k = C·p_k − c_k.
    private func smoothedWeightedCrossEntropy(
        _ options: CrossEntropyOptions, outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, width: Int,
        gradient: UnsafeMutablePointer<Float>?
    ) -> LossSum {
        let weights = options.classWeights
        precondition(weights == nil || weights!.count == width, "\(weights?.count ?? 0) class weights for \(width) classes; the configuration validates this")
        let epsilon = Double(options.labelSmoothing), spread = Double(options.labelSmoothing) / Double(width)
        var weightTotal = 0.0  // Σ_k w_k
        for c in 0..<width { weightTotal += weights.map { Double($0[c]) } ?? 1 }
        var total = 0.0, weightSum = 0.0
        for r in 0..<rows {
            let y = outputs + r * width, g = gradient.map { $0 + r * width }
            let t = Int(targets[r])
            precondition(t >= 0 && t < width, "class id \(t) outside 0..<\(width); the loader validates labels")
            let terms = LogSumExp(y, count: width), maximum = terms.maximum
            let logSumExp = terms.value, inverse = 1 / terms.sum
            let classWeight = weights.map { Double($0[t]) } ?? 1
            let mass = (1 - epsilon) * classWeight + spread * weightTotal  // C = Σ_k c_k
            var value = 0.0
            for c in 0..<width {
                let coefficient = spread * (weights.map { Double($0[c]) } ?? 1) + (c == t ? (1 - epsilon) * classWeight : 0)
                value += coefficient * (logSumExp - Double(y[c]))
                g?[c] = Float(mass * _expD(Double(y[c] - maximum)) * inverse - coefficient)
            }
            total += value
            weightSum += classWeight
        }
        return LossSum(loss: total, weight: weightSum)
    }

    @inline(__always)
    private func classLoss(_ y: UnsafePointer<Float>, classIndex t: Int, width: Int, gradient g: UnsafeMutablePointer<Float>?) -> Double {
        precondition(t >= 0 && t < width, "class id \(t) outside 0..<\(width); the loader validates labels")
        if self == .negativeLogLikelihood {
            if let g {
                for c in 0..<width { g[c] = 0 }
                g[t] = -1
            }
            return -Double(y[t])
        }
        let terms = LogSumExp(y, count: width)
        if let g {
            let inverse = 1 / terms.sum
            for c in 0..<width { g[c] = Float(_expD(Double(y[c] - terms.maximum)) * inverse) }
            g[t] -= 1
        }
        return terms.value - Double(y[t])
    }

    @inline(__always)
    private func valueLoss(_ y: UnsafePointer<Float>, _ t: UnsafePointer<Float>, width: Int, gradient g: UnsafeMutablePointer<Float>?) -> Double {
        let scale = 1 / Float(width)
        var total = 0.0
        for c in 0..<width {
            let d = y[c] - t[c]
            let value: Float, slope: Float
            switch self {
            case .meanSquaredError:
                value = d * d
                slope = 2 * d
            case .meanAbsoluteError:
                value = abs(d)
                slope = d > 0 ? 1 : (d < 0 ? -1 : 0)
            case .huber(let delta):
                if abs(d) < delta {
                    value = 0.5 * d * d
                    slope = d
                } else {
                    value = delta * (abs(d) - 0.5 * delta)
                    slope = d > 0 ? delta : -delta
                }
            case .smoothL1(let beta):
                if abs(d) < beta {
                    value = 0.5 * d * d / beta
                    slope = d / beta
                } else {
                    value = abs(d) - 0.5 * beta
                    slope = d > 0 ? 1 : -1
                }
            case .binaryCrossEntropy:
                // max(z,0) − z·t + log(1 + e^{−|z|}): stable for any logit z.
                let z = y[c]
                value = max(z, 0) - z * t[c] + _log1p(_exp(-abs(z)))
                slope = Activation.sigmoid(z) - t[c]
            case .softmaxCrossEntropy, .negativeLogLikelihood:
                preconditionFailure("class losses are handled by classLoss")
            }
            total += Double(value)
            g?[c] = slope * scale
        }
        return total * Double(scale)
    }
}
