import Checkpoint
import Foundation
import NeuralNet
import Optimizers

/// The formulas `h5train explain` prints for activations, losses and initialisers, in plain
/// Unicode text, with the parameter values in use and whether they are PyTorch's defaults.
enum ExplanationFormulas {
    /// `f(z)` and its derivative, with any parameter and its default.
    static func activation(_ activation: Activation) -> String {
        func parameter(_ name: String, _ value: Float, default standard: Float) -> String {
            "\(name) = \(ExplanationFormat.plain(Double(value)))" + (value == standard ? ", PyTorch's default" : ", set; PyTorch's default \(ExplanationFormat.plain(Double(standard)))")
        }
        return switch activation {
        case .identity: "identity: y = z; dy/dz = 1"
        case .step: "step: y = 1 if z > 0 else 0; dy/dz = 0 almost everywhere (no gradient passes: cannot be trained)"
        case .sigmoid: "sigmoid: y = σ(z) = 1 / (1 + e^(−z)); dy/dz = y·(1 − y) ≤ 0.25"
        case .tanh: "tanh: y = tanh z = (e^z − e^(−z)) / (e^z + e^(−z)); dy/dz = 1 − y² ≤ 1"
        case .relu: "ReLU: y = max(0, z); dy/dz = 1 if z > 0 else 0"
        case .leakyReLU(let slope):
            "leaky ReLU: y = z if z > 0 else a·z (\(parameter("a", slope, default: 0.01))); dy/dz = 1 if z > 0 else a"
        case .elu(let alpha):
            "ELU: y = z if z > 0 else α·(e^z − 1) (\(parameter("α", alpha, default: 1))); dy/dz = 1 if z > 0 else y + α"
        case .gelu:
            "GELU (exact, PyTorch's approximate='none'): y = z·Φ(z) = ½·z·(1 + erf(z/√2)); dy/dz = Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π)"
        case .geluTanh:
            "GELU (tanh approximation, PyTorch's approximate='tanh'): y = ½·z·(1 + tanh u), u = √(2/π)·(z + 0.044715·z³); dy/dz = ½(1 + tanh u) + ½·z·(1 − tanh² u)·u′"
        case .silu:
            "SiLU (swish): y = z·σ(z); dy/dz = σ(z)·(1 + z·(1 − σ(z)))"
        case .softplus(let beta):
            "softplus: y = (1/β)·log(1 + e^(β·z)), and y = z where β·z > 20 (\(parameter("β", beta, default: 1)), threshold 20 as PyTorch); dy/dz = σ(β·z)"
        case .softmax:
            "softmax: y_i = e^(z_i − m) / Σ_j e^(z_j − m), m = max_j z_j (row-wise); dy_i/dz_j = y_i·([i = j] − y_j)"
        case .logSoftmax:
            "log-softmax: y_i = z_i − m − log Σ_j e^(z_j − m), m = max_j z_j (row-wise, stable for any z)"
        }
    }

    /// How the last layer and the loss fit together, then the loss and its gradient. K is the
    /// output width; the batch loss is the mean over the batch's samples.
    static func loss(_ loss: Loss) -> [String] {
        let batch = "batch loss L = (1/B)·Σ_samples ℓ: per-shard sums added in shard order, ÷ batch size B"
        switch loss {
        case .softmaxCrossEntropy(let options) where options.isStandard:
            return ["output: softmax fused into the cross-entropy: the last layer emits logits z (softmax is applied on its own only for predictions)",
                    "loss: cross-entropy ℓ = −log softmax(z)_t = log Σ_j e^(z_j) − z_t, computed by log-sum-exp as m + log Σ_j e^(z_j − m) − z_t, m = max_j z_j (no overflow); ∂ℓ/∂z = softmax(z) − onehot(t)",
                    batch]
        case .softmaxCrossEntropy(let options):
            return ["output: softmax fused into the cross-entropy: the last layer emits logits z (softmax is applied on its own only for predictions)"]
                + crossEntropyOptions(options, batch: batch)
        case .negativeLogLikelihood:
            return ["output: log-softmax layer (log-probabilities y)",
                    "loss: negative log-likelihood ℓ = −y_t; ∂ℓ/∂y = −onehot(t), then through the log-softmax",
                    batch]
        case .binaryCrossEntropy:
            return ["output: sigmoid fused into the binary cross-entropy: the last layer emits logits z (sigmoid applied on its own only for predictions)",
                    "loss: BCE ℓ = (1/K)·Σ_k [max(z_k, 0) − z_k·t_k + log(1 + e^(−|z_k|))] (= −t·log σ(z) − (1 − t)·log(1 − σ(z)), stable for any z); ∂ℓ/∂z_k = (σ(z_k) − t_k)/K",
                    batch]
        case .meanSquaredError:
            return ["output: identity (linear) layer",
                    "loss: MSE ℓ = (1/K)·Σ_k (y_k − t_k)²; ∂ℓ/∂y_k = 2·(y_k − t_k)/K", batch]
        case .meanAbsoluteError:
            return ["output: identity (linear) layer",
                    "loss: L1 ℓ = (1/K)·Σ_k |y_k − t_k|; ∂ℓ/∂y_k = sign(y_k − t_k)/K (0 at 0)", batch]
        case .huber(let delta):
            let value = "δ = \(ExplanationFormat.plain(Double(delta)))" + (delta == 1 ? ", PyTorch's default" : ", set; PyTorch's default 1")
            return ["output: identity (linear) layer",
                    "loss: Huber ℓ = (1/K)·Σ_k h(y_k − t_k), h(d) = ½·d² if |d| < δ else δ·(|d| − ½·δ) (\(value)); ∂h/∂d = d if |d| < δ else δ·sign(d)",
                    batch]
        case .smoothL1(let beta):
            let value = "β = \(ExplanationFormat.plain(Double("\(beta)") ?? Double(beta)))" + (beta == 1 ? ", PyTorch's default" : ", set; PyTorch's default 1")
            return ["output: identity (linear) layer",
                    "loss: smooth L1 ℓ = (1/K)·Σ_k s(y_k − t_k), s(d) = ½·d²/β if |d| < β else |d| − ½·β (\(value)); ∂s/∂d = d/β if |d| < β else sign(d); = Huber(β)/β",
                    batch]
        }
    }

    /// Cross-entropy with label smoothing and/or class weights, as PyTorch's
    /// `cross_entropy(z, t, weight=w, label_smoothing=ε)` computes it.
    private static func crossEntropyOptions(_ options: CrossEntropyOptions, batch: String) -> [String] {
        // Through the Float's shortest decimal, so 0.1 prints as 0.1 rather than 0.10000000149011612.
        func plain(_ value: Float) -> String { ExplanationFormat.plain(Double("\(value)") ?? Double(value)) }
        let epsilon = "ε = \(plain(options.labelSmoothing))"
            + (options.labelSmoothing == 0 ? ", PyTorch's default" : ", set; PyTorch's default 0")
        guard let weights = options.classWeights else {
            return ["loss: cross-entropy with label smoothing ℓ = log Σ_j e^(z_j) − Σ_k q_k·z_k against the smoothed target q = (1 − ε)·onehot(t) + ε/K (\(epsilon); PyTorch's label_smoothing=ε), log-sum-exp with m = max_j z_j; ∂ℓ/∂z = softmax(z) − q",
                    batch]
        }
        let list = weights.map(plain).joined(separator: ", ")
        return ["loss: weighted cross-entropy ℓ = Σ_k c_k·(log Σ_j e^(z_j) − z_k), c_k = (1 − ε)·w_t·[k = t] + (ε/K)·w_k (\(epsilon); class weights w = [\(list)], PyTorch's weight=w); with ε = 0, ℓ = w_t·(log Σ_j e^(z_j) − z_t); ∂ℓ/∂z = (Σ_k c_k)·softmax(z) − c",
                "batch loss L = Σ_samples ℓ / Σ_samples w_t (PyTorch's weight= with reduction='mean' divides by the samples' class weights, not by B): per-shard sums of ℓ and of w_t added in shard order; the gradient is scaled by 1/Σ w_t"]
    }

    /// The initialiser's distribution for a layer with fan-in n and fan-out m, with its actual bound
    /// or standard deviation, and the root-mean-square weight it gives.
    static func initializer(_ initializer: Initializer, fanIn n: Int, fanOut m: Int) -> (text: String, rms: Double) {
        let fanIn = Double(n), sum = Double(n + m)
        let f = { (value: Double) in ExplanationFormat.significant(value) }
        func uniform(_ rule: String, _ bound: Double) -> (String, Double) {
            ("U[−a, a], a = \(rule) → a = \(f(bound)) (σ = a/√3 = \(f(bound / 3.0.squareRoot())))", bound / 3.0.squareRoot())
        }
        let (formula, rms): (String, Double) = switch initializer {
        case .zeros: ("every weight 0", 0)
        case .constant(let value): ("every weight \(ExplanationFormat.plain(Double(value)))", Double(abs(value)))
        case .uniform(let a, let b):
            ("U[\(ExplanationFormat.plain(Double(a))), \(ExplanationFormat.plain(Double(b)))] → σ = (b − a)/√12 = \(f(Double(b - a) / 12.0.squareRoot()))",
             ((Double(a) * Double(a) + Double(a) * Double(b) + Double(b) * Double(b)) / 3).squareRoot())
        case .normal(let mean, let std):
            ("N(\(ExplanationFormat.plain(Double(mean))), \(ExplanationFormat.plain(Double(std)))²) → σ = \(f(Double(std)))",
             (Double(mean) * Double(mean) + Double(std) * Double(std)).squareRoot())
        case .lecunNormal: ("N(0, 1/n) = N(0, 1/\(n)) → σ = \(f((1 / fanIn).squareRoot()))", (1 / fanIn).squareRoot())
        case .lecunUniform: uniform("√(3/n) = √(3/\(n))", (3 / fanIn).squareRoot())
        case .xavierUniform: uniform("1/√n = 1/√\(n)", 1 / fanIn.squareRoot())
        case .glorotUniform: uniform("√(6/(n + m)) = √(6/(\(n) + \(m)))", (6 / sum).squareRoot())
        case .glorotNormal: ("N(0, 2/(n + m)) = N(0, 2/(\(n) + \(m))) → σ = \(f((2 / sum).squareRoot()))", (2 / sum).squareRoot())
        case .heNormal: ("N(0, 2/n) = N(0, 2/\(n)) → σ = \(f((2 / fanIn).squareRoot()))", (2 / fanIn).squareRoot())
        case .heUniform: uniform("√(6/n) = √(6/\(n))", (6 / fanIn).squareRoot())
        }
        return ("\(name(initializer)) \(formula)", rms)
    }

    /// A readable name: `He normal (he_normal)`.
    static func name(_ initializer: Initializer) -> String {
        let title = switch initializer {
        case .zeros: "zeros"
        case .constant: "constant"
        case .uniform: "uniform"
        case .normal: "normal"
        case .lecunNormal: "LeCun normal"
        case .lecunUniform: "LeCun uniform"
        case .xavierUniform: "Xavier uniform (original)"
        case .glorotUniform: "Glorot (normalised Xavier) uniform"
        case .glorotNormal: "Glorot normal"
        case .heNormal: "He normal"
        case .heUniform: "He uniform"
        }
        return "\(title) (\(initializer.description.split(separator: ":").first ?? "")):"
    }
}
