import Data
import DataParallel
import HDF5
import NeuralNet
import Training

/// The Python that rebuilds a checkpoint's network in PyTorch around an exported safetensors
/// state_dict (see `SafetensorsExport`): the `nn.Sequential` of `Linear` layers and activation
/// modules that the state_dict belongs to, and `model`, which puts the normalisation in front and,
/// for classification, turns the outputs into probabilities exactly as `h5train predict` does.
/// `model(x)` takes float32 (N × inputs) raw features as the HDF5 file stores them (images
/// flattened row-major) and returns what predict writes.
public enum PyTorchModuleSource {
    /// The PyTorch module for `activation` (PyTorch's own parameters: h5train's defaults are PyTorch's).
    public static func module(_ activation: Activation) -> String {
        switch activation {
        case .identity: "nn.Identity()"
        case .step: "Step()"
        case .sigmoid: "nn.Sigmoid()"
        case .tanh: "nn.Tanh()"
        case .relu: "nn.ReLU()"
        case .leakyReLU(let slope): "nn.LeakyReLU(\(PythonLiteral.float(slope)))"
        case .softmax: "nn.Softmax(dim=1)"
        case .logSoftmax: "nn.LogSoftmax(dim=1)"
        case .elu(let alpha): "nn.ELU(\(PythonLiteral.float(alpha)))"
        case .gelu: "nn.GELU()"
        case .geluTanh: "nn.GELU(approximate='tanh')"
        case .silu: "nn.SiLU()"
        case .softplus(let beta): "nn.Softplus(beta=\(PythonLiteral.float(beta)))"
        }
    }

    /// The module that turns the network's outputs into what predict writes, or nil when they already are.
    static func probabilities(_ checkpoint: TrainingState) -> String? {
        guard checkpoint.model.task == .classification else { return nil }
        switch checkpoint.model.architecture.layers[checkpoint.model.architecture.layers.count - 1].activation {
        case .softmax: return nil
        case .logSoftmax: return "Exp()"
        default: return "nn.Softmax(dim=1)"
        }
    }

    /// In words, what turns the network's outputs into predict's probabilities; nil when nothing does.
    public static func probabilitiesHint(_ checkpoint: TrainingState) -> String? {
        probabilities(checkpoint).map { $0 == "Exp()" ? "exp" : "a softmax over each row" }
    }

    /// The normalisation module, with its values written out.
    static func normalization(_ normalization: Normalization) -> String {
        switch normalization {
        case .none: "nn.Identity()"
        case .scale(let factor): "Scale(\(PythonLiteral.float(factor)))"
        case .standardize(let mean, let std):
            "Standardize(\n    mean=\(PythonLiteral.floatList(mean, indent: 4)),\n    std=\(PythonLiteral.floatList(std, indent: 4)),\n)"
        }
    }

    /// The whole source, loading the state_dict from `weightsPath`.
    public static func source(_ checkpoint: TrainingState, weightsPath: String) -> String {
        let architecture = checkpoint.model.architecture
        var lines = [
            "# The h5train network \(architecture.inputSize)→" + architecture.layers.map { "\($0.outputs) \($0.activation)" }.joined(separator: "→")
                + " in PyTorch, with its weights from \(weightsPath).",
            "# model(x): x float32 (N, \(architecture.inputSize)), the raw features as the HDF5 file stores them (images flattened);",
            "# returns what `h5train predict` writes (\(ONNXExport.outputName(checkpoint.model.task))). `net` alone takes normalised features.",
            "import torch",
            "from torch import nn",
            "from safetensors.torch import load_file",
            "",
        ]
        lines += helperClasses(checkpoint)
        lines.append("net = nn.Sequential(")
        for layer in architecture.layers {
            lines.append("    nn.Linear(\(layer.inputs), \(layer.outputs)), \(module(layer.activation)),")
        }
        lines.append(")")
        lines.append("net.load_state_dict(load_file(\(PythonLiteral.string(weightsPath))))")
        let stages = [normalization(checkpoint.normalization), "net"] + (probabilities(checkpoint).map { [$0] } ?? [])
        lines.append("model = nn.Sequential(\(stages.joined(separator: ", "))).eval()")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The small modules the source needs beyond torch.nn.
    private static func helperClasses(_ checkpoint: TrainingState) -> [String] {
        var lines: [String] = []
        func add(_ definition: [String]) { lines += definition + ["", ""] }
        switch checkpoint.normalization {
        case .none: break
        case .scale:
            add(["class Scale(nn.Module):", "    \"\"\"h5train's normalisation x * factor, in float32.\"\"\"",
                 "    def __init__(self, factor):", "        super().__init__()",
                 "        self.register_buffer('factor', torch.tensor(factor, dtype=torch.float32))",
                 "", "    def forward(self, x):", "        return x * self.factor"])
        case .standardize:
            add(["class Standardize(nn.Module):", "    \"\"\"h5train's normalisation (x - mean) / std, in float32.\"\"\"",
                 "    def __init__(self, mean, std):", "        super().__init__()",
                 "        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32))",
                 "        self.register_buffer('std', torch.tensor(std, dtype=torch.float32))",
                 "", "    def forward(self, x):", "        return (x - self.mean) / self.std"])
        }
        if checkpoint.model.architecture.layers.contains(where: { $0.activation == .step }) {
            add(["class Step(nn.Module):", "    def forward(self, x):", "        return (x > 0).to(x.dtype)"])
        }
        if probabilities(checkpoint) == "Exp()" {
            add(["class Exp(nn.Module):", "    def forward(self, x):", "        return torch.exp(x)"])
        }
        return lines
    }
}
