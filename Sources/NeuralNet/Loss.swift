/// A training objective: per-sample loss, averaged over the batch.
///
/// Targets are always a rows × `targetWidth` Float32 matrix: for the class-based losses
/// (cross-entropy, NLL) one column holding the class id (exact as a Float below 2²⁴); for the others
/// the same width as the network output.
///
/// `lossAndGradient` returns the **sum** of per-sample losses over the rows it is given and writes
/// ∂(that sum)/∂(outputs); the aggregator divides by the batch size, which is what makes sharded
/// sums add up to exactly the batch mean.
public enum Loss: Sendable, Equatable, CustomStringConvertible {
    /// Softmax followed by cross-entropy, fused: takes logits z. ℓ = log Σ_j e^{z_j} − z_t.
    case softmaxCrossEntropy
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

    /// Parses `cross_entropy`, `nll`, `bce`, `mse`, `l1`/`mae`, `huber[:DELTA]`, `smooth_l1` is not a
    /// separate case here (it is Huber scaled by 1/β).
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
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .softmaxCrossEntropy: "cross_entropy"
        case .negativeLogLikelihood: "nll"
        case .binaryCrossEntropy: "bce"
        case .meanSquaredError: "mse"
        case .meanAbsoluteError: "l1"
        case .huber(let delta): delta == 1 ? "huber" : "huber:\(delta)"
        }
    }

    /// True when targets are class ids (one column) rather than a value per output.
    public var usesClassIndices: Bool {
        self == .softmaxCrossEntropy || self == .negativeLogLikelihood
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

    /// Sum over `rows` of the per-sample loss; writes ∂sum/∂outputs into `gradient` when it is non-nil.
    ///
    /// - Parameters:
    ///   - outputs: rows × width network outputs (logits for fused losses).
    ///   - targets: rows × 1 class ids for class losses, else rows × width values.
    public func lossAndGradient(
        outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int, width: Int,
        gradient: UnsafeMutablePointer<Float>?
    ) -> Double {
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
        return total
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
        // log-sum-exp with the maximum subtracted: no overflow for any logits.
        var maximum = -Float.infinity
        for c in 0..<width where y[c] > maximum { maximum = y[c] }
        var sum: Double = 0
        for c in 0..<width { sum += _expD(Double(y[c] - maximum)) }
        let logSumExp = Double(maximum) + _logD(sum)
        if let g {
            let inverse = 1 / sum
            for c in 0..<width { g[c] = Float(_expD(Double(y[c] - maximum)) * inverse) }
            g[t] -= 1
        }
        return logSumExp - Double(y[t])
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
