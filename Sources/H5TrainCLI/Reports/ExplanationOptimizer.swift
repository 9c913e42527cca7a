import NeuralNet
import Optimizers

/// The optimizer part of `h5train explain`: the update rule in PyTorch's form, every
/// hyper-parameter's value, and which ones are PyTorch's defaults.
enum ExplanationOptimizer {
    /// One hyper-parameter: its value, PyTorch's default, and whether the user gave it.
    struct Value {
        var label: String
        var value: String
        var pytorch: String
        /// False when the value is h5train's own default (it may differ from PyTorch's).
        var given: Bool = true

        init(_ label: String, _ value: Double, pytorch: Double, given: Bool = true) {
            self.init(label, ExplanationFormat.plain(value), pytorch: ExplanationFormat.plain(pytorch), given: given)
        }

        init(_ label: String, _ value: String, pytorch: String, given: Bool = true) {
            (self.label, self.value, self.pytorch, self.given) = (label, value, pytorch, given)
        }
    }

    /// The lines for `settings` with base rate `rate` (`rateGiven`: from `--lr`).
    static func lines(_ settings: OptimizerSettings, rate: Float, rateGiven: Bool) -> [String] {
        let optimizer = settings.makeOptimizer()
        let (title, rule, values) = describe(settings, rate: rate, rateGiven: rateGiven)
        var lines = ["optimizer: \(title), with exactly torch.optim's semantics (t = step + 1; g = the batch-mean gradient after clipping)"]
        lines += rule.map { "  " + $0 }
        lines.append("  values: " + values.map { "\($0.label) \($0.value)" }.joined(separator: ", "))
        let standard = values.filter { $0.value == $0.pytorch }.map(\.label)
        let own = values.filter { $0.value != $0.pytorch && !$0.given }.map { "\($0.label) \($0.value) (PyTorch \($0.pytorch))" }
        let set = values.filter { $0.value != $0.pytorch && $0.given }.map { "\($0.label) \($0.value) (PyTorch \($0.pytorch))" }
        if !standard.isEmpty { lines.append("  PyTorch's defaults: " + (standard.count == values.count ? "all of them" : standard.joined(separator: ", "))) }
        if !own.isEmpty { lines.append("  h5train's defaults: " + own.joined(separator: ", ")) }
        if !set.isEmpty { lines.append("  set by flags: " + set.joined(separator: ", ")) }
        let buffers = stateNames(settings).prefix(optimizer.stateCount)
        lines.append("  state: \(optimizer.stateCount) parameter-sized buffer\(optimizer.stateCount == 1 ? "" : "s")"
                     + (buffers.isEmpty ? "" : " (\(buffers.joined(separator: ", ")))") + (buffers.isEmpty ? "" : ", created on the first step as PyTorch creates its state"))
        return lines
    }

    /// Names of the state buffers, in storage order, for the optimizer's configuration.
    static func stateNames(_ settings: OptimizerSettings) -> [String] {
        switch settings.name {
        case "sgd": settings.sgdMomentum == 0 ? [] : ["momentum b"]
        case "rmsprop": ["square average s"] + (settings.centered ? ["gradient average ḡ"] : []) + ((settings.momentum ?? 0) > 0 ? ["momentum b"] : [])
        case "adagrad": ["sum of squares s"]
        case "adadelta": ["square average s", "update average u"]
        case "adamax": ["first moment m", "infinity norm u"]
        case "amsgrad": ["first moment m", "second moment v", "maximum v̂"]
        default: ["first moment m", "second moment v"]
        }
    }

    /// (title, update rule lines, hyper-parameters).
    private static func describe(_ s: OptimizerSettings, rate: Float, rateGiven: Bool) -> (String, [String], [Value]) {
        let decay = s.weightDecay ?? 0, given = s.weightDecay != nil
        let l2 = "g ← g + λ·w                  (L2 weight decay λ)"
        func lr(_ pytorch: Float) -> Value {
            Value("lr", ExplanationFormat.rate(Double(rate)), pytorch: ExplanationFormat.rate(Double(pytorch)), given: rateGiven)
        }
        func eps(_ standard: Double) -> Value { Value("ε", s.eps ?? standard, pytorch: standard, given: s.eps != nil) }
        let betas = [Value("β₁", s.beta1, pytorch: 0.9), Value("β₂", s.beta2, pytorch: 0.999)]
        switch s.name {
        case "sgd":
            let mu = s.sgdMomentum
            let rule = mu == 0 ? [l2, "w ← w − lr·g"] : [
                l2, "b ← g on the first step, else b ← μ·b + (1 − dampening)·g",
                s.nesterov ? "w ← w − lr·(g + μ·b)        (Nesterov)" : "w ← w − lr·b"]
            return ("SGD" + (mu == 0 ? "" : " with \(s.nesterov ? "Nesterov " : "")momentum"), rule, [
                lr(SGD.defaultLearningRate), Value("momentum μ", mu, pytorch: 0, given: s.momentum != nil),
                Value("dampening", s.dampening, pytorch: 0), Value("weight decay λ", decay, pytorch: 0, given: given),
                Value("nesterov", s.nesterov ? "on" : "off", pytorch: "off")])
        case "rmsprop":
            let mu = s.momentum ?? 0
            return ("RMSprop" + (s.centered ? " (centered)" : ""), [
                l2, "s ← α·s + (1 − α)·g²",
                s.centered ? "ḡ ← α·ḡ + (1 − α)·g;  d ← √(s − ḡ²) + ε" : "d ← √s + ε",
                mu > 0 ? "b ← μ·b + g/d;  w ← w − lr·b" : "w ← w − lr·g/d"], [
                lr(RMSprop.defaultLearningRate), Value("α", s.alpha, pytorch: 0.99), eps(1e-8),
                Value("weight decay λ", decay, pytorch: 0, given: given), Value("momentum μ", mu, pytorch: 0, given: s.momentum != nil),
                Value("centered", s.centered ? "on" : "off", pytorch: "off")])
        case "adagrad":
            return ("Adagrad", [l2, "lr_t ← lr / (1 + (t − 1)·lr_decay)", "s ← s + g²", "w ← w − lr_t·g / (√s + ε)"], [
                lr(Adagrad.defaultLearningRate), Value("lr_decay", s.lrDecay, pytorch: 0),
                Value("weight decay λ", decay, pytorch: 0, given: given), Value("initial accumulator", 0, pytorch: 0), eps(1e-10)])
        case "adadelta":
            return ("Adadelta", [l2, "s ← ρ·s + (1 − ρ)·g²", "Δ ← √(u + ε) / √(s + ε) · g", "u ← ρ·u + (1 − ρ)·Δ²", "w ← w − lr·Δ"], [
                lr(Adadelta.defaultLearningRate), Value("ρ", s.rho, pytorch: 0.9), eps(1e-6),
                Value("weight decay λ", decay, pytorch: 0, given: given)])
        case "adamax":
            return ("Adamax", [l2, "m ← β₁·m + (1 − β₁)·g", "u ← max(β₂·u, |g| + ε)", "w ← w − (lr / (1 − β₁ᵗ))·m / u"],
                    [lr(Adamax.defaultLearningRate)] + betas + [eps(1e-8), Value("weight decay λ", decay, pytorch: 0, given: given)])
        case "nadam":
            return ("NAdam", [
                l2, "μ_t ← β₁·(1 − ½·0.96^(t·ψ))", "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  v̂ ← v / (1 − β₂ᵗ)",
                "w ← w − lr·(1 − μ_t)/(1 − Π_{i≤t} μ_i) · g/(√v̂ + ε) − lr·μ_{t+1}/(1 − Π_{i≤t+1} μ_i) · m/(√v̂ + ε)"],
                    [lr(NAdam.defaultLearningRate)] + betas + [eps(1e-8), Value("weight decay λ", decay, pytorch: 0, given: given),
                                                               Value("momentum decay ψ", s.momentumDecay, pytorch: 0.004)])
        default:  // adam, amsgrad, adamw
            let decoupled = s.name == "adamw", amsgrad = s.name == "amsgrad"
            let rule = [decoupled ? "w ← w·(1 − lr·λ)             (decoupled weight decay λ)" : l2,
                        "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²"]
                + (amsgrad ? ["v̂ ← max(v̂, v)                (AMSGrad)"] : [])
                + ["w ← w − (lr / (1 − β₁ᵗ)) · m / (√\(amsgrad ? "v̂" : "v") / √(1 − β₂ᵗ) + ε)"]
            let title = decoupled ? "AdamW" : amsgrad ? "Adam with AMSGrad" : "Adam"
            return (title, rule, [lr(Adam.defaultLearningRate)] + betas + [
                eps(1e-8), Value("weight decay λ", decoupled ? (s.weightDecay ?? 0.01) : decay, pytorch: decoupled ? 0.01 : 0, given: given),
                Value("amsgrad", amsgrad ? "on" : "off", pytorch: "off")])
        }
    }
}
