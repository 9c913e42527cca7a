import Foundation
import NeuralNet
import Optimizers

/// Float64 reimplementations of the module's forward formulas, written from their mathematical
/// definitions (naive forms, no stabilising tricks, no module code), as independent references for
/// the finite-difference checks. Matrices are row-major arrays like the module's.
enum Reference {
    /// The activation applied to a rows × columns matrix (softmax row by row).
    static func activate(_ activation: Activation, _ z: [Double], columns: Int) -> [Double] {
        switch activation {
        case .identity: return z
        case .step: return z.map { $0 > 0 ? 1 : 0 }
        case .sigmoid: return z.map { 1 / (1 + exp(-$0)) }
        case .tanh: return z.map { tanh($0) }
        case .relu: return z.map { max($0, 0) }
        case .leakyReLU(let slope): return z.map { $0 > 0 ? $0 : Double(slope) * $0 }
        case .softmax:
            var y: [Double] = []
            for start in stride(from: 0, to: z.count, by: columns) {
                let e = z[start..<(start + columns)].map { exp($0) }
                let total = e.reduce(0, +)
                y += e.map { $0 / total }
            }
            return y
        case .logSoftmax:
            return activate(.softmax, z, columns: columns).map { log($0) }
        case .elu(let alpha): return z.map { $0 > 0 ? $0 : Double(alpha) * (exp($0) - 1) }
        case .gelu: return z.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        case .geluTanh: return z.map { 0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }
        case .silu: return z.map { $0 / (1 + exp(-$0)) }
        case .softplus(let beta):
            let beta = Double(beta)
            return z.map { beta * $0 > 20 ? $0 : log(1 + exp(beta * $0)) / beta }
        }
    }

    /// Σ_rows of the per-sample loss with the module's conventions: logits for the fused losses
    /// (cross-entropy, BCE), class ids as one target column for the class losses, per-sample losses
    /// averaged over the outputs for the value losses.
    static func lossSum(_ loss: Loss, outputs: [Double], targets: [Double], width: Int) -> Double {
        let rows = outputs.count / width
        var total = 0.0
        for r in 0..<rows {
            let y = Array(outputs[(r * width)..<((r + 1) * width)])
            switch loss {
            case .softmaxCrossEntropy(let options) where options.isStandard:
                let t = Int(targets[r])
                total += log(y.map { exp($0) }.reduce(0, +)) - y[t]
            case .softmaxCrossEntropy(let options):
                let logSumExp = log(y.map { exp($0) }.reduce(0, +))
                total += smoothedWeightedCrossEntropy(options, logProbabilities: y.map { $0 - logSumExp }, classIndex: Int(targets[r]))
            case .negativeLogLikelihood:
                total += -y[Int(targets[r])]
            default:
                let t = Array(targets[(r * width)..<((r + 1) * width)])
                total += zip(y, t).map { elementLoss(loss, output: $0, target: $1) }.reduce(0, +) / Double(width)
            }
        }
        return total
    }

    /// PyTorch's definition of cross-entropy with `weight=w` and `label_smoothing=ε` for one sample,
    /// before the division by Σ w_t (its `cross_entropy_loss_label_smoothing`):
    /// (1 − ε)·w_t·(−log p_t) + (ε/K)·Σ_k w_k·(−log p_k), w_k = 1 without weights.
    static func smoothedWeightedCrossEntropy(_ options: CrossEntropyOptions, logProbabilities logP: [Double], classIndex t: Int) -> Double {
        let w = options.classWeights.map { $0.map(Double.init) } ?? [Double](repeating: 1, count: logP.count)
        let epsilon = Double(options.labelSmoothing)
        let smoothing = zip(w, logP).map { -$0 * $1 }.reduce(0, +)
        return (1 - epsilon) * w[t] * -logP[t] + epsilon / Double(logP.count) * smoothing
    }

    /// Σ over the samples of their weight: w_t for cross-entropy with class weights, else 1.
    static func weightSum(_ loss: Loss, targets: [Double], rows: Int) -> Double {
        guard let weights = loss.crossEntropyOptions?.classWeights else { return Double(rows) }
        return targets.prefix(rows).map { Double(weights[Int($0)]) }.reduce(0, +)
    }

    /// The per-output loss of the value losses (BCE on a logit z).
    static func elementLoss(_ loss: Loss, output y: Double, target t: Double) -> Double {
        switch loss {
        case .binaryCrossEntropy:
            let p = 1 / (1 + exp(-y))
            return -(t * log(p) + (1 - t) * log(1 - p))
        case .meanSquaredError: return (y - t) * (y - t)
        case .meanAbsoluteError: return abs(y - t)
        case .huber(let delta):
            let d = abs(y - t), delta = Double(delta)
            return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta)
        case .smoothL1(let beta):
            let d = abs(y - t), beta = Double(beta)
            return d < beta ? 0.5 * d * d / beta : d - 0.5 * beta
        case .softmaxCrossEntropy, .negativeLogLikelihood:
            fatalError("class losses have no per-output form")
        }
    }

    /// A dense network's forward pass in float64 over the flat parameter layout (W_l row-major
    /// in × out, then b_l), applying every layer's activation including the output one. Returns each
    /// layer's pre-activation z_l (rows × out_l) and the network output.
    static func forward(
        _ architecture: NetworkArchitecture, parameters p: [Double], input: [Double]
    ) -> (preactivations: [[Double]], output: [Double]) {
        let rows = input.count / architecture.inputSize
        var x = input, offset = 0, preactivations: [[Double]] = []
        for layer in architecture.layers {
            let (n, m) = (layer.inputs, layer.outputs)
            let w = Array(p[offset..<(offset + n * m)]), b = Array(p[(offset + n * m)..<(offset + n * m + m)])
            var z = [Double](repeating: 0, count: rows * m)
            for r in 0..<rows {
                for o in 0..<m {
                    var s = b[o]
                    for i in 0..<n { s += w[i * m + o] * x[r * n + i] }
                    z[r * m + o] = s
                }
            }
            offset += n * m + m
            preactivations.append(z)
            x = activate(layer.activation, z, columns: m)
        }
        return (preactivations, x)
    }

    /// The loss sum of a whole dense network. The fused losses are evaluated on the probabilities the
    /// network outputs — −log p_t for softmax outputs with cross-entropy, −[t·log p + (1−t)·log(1−p)]
    /// for sigmoid outputs with BCE — so the reference also checks that fusing the output activation
    /// into the loss changes nothing.
    static func networkLossSum(
        _ architecture: NetworkArchitecture, parameters: [Double], input: [Double], targets: [Double], loss: Loss
    ) -> Double {
        let x = forward(architecture, parameters: parameters, input: input).output
        let width = architecture.outputSize, rows = x.count / width
        switch loss {
        case .softmaxCrossEntropy(let options) where options.isStandard:
            precondition(architecture.layers.last!.activation == .softmax)
            return (0..<rows).map { -log(x[$0 * width + Int(targets[$0])]) }.reduce(0, +)
        case .softmaxCrossEntropy(let options):
            precondition(architecture.layers.last!.activation == .softmax)
            return (0..<rows).map { r in
                smoothedWeightedCrossEntropy(options, logProbabilities: x[(r * width)..<((r + 1) * width)].map { log($0) },
                                             classIndex: Int(targets[r]))
            }.reduce(0, +)
        case .binaryCrossEntropy:
            precondition(architecture.layers.last!.activation == .sigmoid)
            return zip(x, targets).map { p, t in -(t * log(p) + (1 - t) * log(1 - p)) }.reduce(0, +) / Double(width)
        default:
            return lossSum(loss, outputs: x, targets: targets, width: width)
        }
    }
}
