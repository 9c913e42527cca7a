import Checkpoint
import DataParallel
import Optimizers
import Training

/// The optimizer part of `h5train explain`: the update rule in PyTorch's form, every
/// hyper-parameter's value, and which ones are PyTorch's defaults — all read from the optimizer's
/// kind, so every hyper-parameter the kind uses is listed with the value the run would use.
enum ExplanationOptimizer {
    /// One hyper-parameter: its value, PyTorch's default, and whether the user gave it.
    struct Value {
        var label: String
        var value: String
        var pytorch: String
        /// False when the value is h5train's own default (it may differ from PyTorch's).
        var given: Bool = true
    }

    /// The lines for `settings` with base rate `rate` (`rateGiven`: from `--lr`).
    static func lines(_ settings: OptimizerSettings, rate: Float, rateGiven: Bool) -> [String] {
        let kind = settings.kind, optimizer = settings.makeOptimizer()
        let values = values(settings, rate: rate, rateGiven: rateGiven)
        var lines = ["optimizer: \(kind.title(settings)), with exactly torch.optim's semantics (t = step + 1; g = the batch-mean gradient after clipping)"]
        lines += kind.updateRule(settings).map { "  " + $0 }
        lines.append("  values: " + values.map { "\($0.label) \($0.value)" }.joined(separator: ", "))
        let standard = values.filter { $0.value == $0.pytorch }.map(\.label)
        let own = values.filter { $0.value != $0.pytorch && !$0.given }.map { "\($0.label) \($0.value) (PyTorch \($0.pytorch))" }
        let set = values.filter { $0.value != $0.pytorch && $0.given }.map { "\($0.label) \($0.value) (PyTorch \($0.pytorch))" }
        if !standard.isEmpty { lines.append("  PyTorch's defaults: " + (standard.count == values.count ? "all of them" : standard.joined(separator: ", "))) }
        if !own.isEmpty { lines.append("  h5train's defaults: " + own.joined(separator: ", ")) }
        if !set.isEmpty { lines.append("  set by flags: " + set.joined(separator: ", ")) }
        let count = optimizer.stateCount, buffers = kind.stateNames(settings).prefix(count)
        lines.append("  state: \(count) parameter-sized buffer\(count == 1 ? "" : "s")"
                     + (buffers.isEmpty ? "" : " (\(buffers.joined(separator: ", "))), created on the first step as PyTorch creates its state"))
        return lines
    }

    /// lr, then the kind's hyper-parameters in its order, then whether AMSGrad is on (Adam family).
    private static func values(_ settings: OptimizerSettings, rate: Float, rateGiven: Bool) -> [Value] {
        let kind = settings.kind
        var values = [Value(label: "lr", value: ExplanationFormat.rate(Double(rate)),
                            pytorch: ExplanationFormat.rate(Double(kind.pytorchLearningRate)), given: rateGiven)]
        for parameter in kind.hyperparameters {
            values.append(Value(label: parameter.label, value: text(parameter.value(in: settings)),
                                pytorch: text(parameter.pytorchDefault(for: kind)), given: parameter.isGiven(in: settings)))
        }
        if [.adam, .adamw, .amsgrad].contains(kind) {
            values.append(Value(label: "amsgrad", value: kind == .amsgrad ? "on" : "off", pytorch: "off"))
        }
        return values
    }

    private static func text(_ value: OptimizerHyperparameter.Value) -> String {
        switch value {
        case .number(let number): ExplanationFormat.plain(number)
        case .flag(let on): on ? "on" : "off"
        }
    }
}
