import ArgumentParser
import Checkpoint
import Data
import DataParallel
import NeuralNet
import Optimizers
import Settings
import Training

/// `h5train export`: a checkpoint's network for ONNX, PyTorch or Keras.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a checkpoint's network for ONNX Runtime, PyTorch (safetensors) or Keras.",
        discussion: """
        Give exactly one format flag, naming the checkpoint, then the file to write:

        --onnx m.ckpt.h5 m.onnx: the whole model as an ONNX graph (opset 13): input 'features', float32 (N, inputs) — \
        the raw features as the HDF5 file stores them, converted to float32, images flattened \
        row-major (uint8 (N, 28, 28) becomes (N, 784) with values 0…255); the graph applies the \
        checkpoint's normalisation, the Gemm layers and activations, and for classification \
        turns the outputs into probabilities. Output 'probabilities' or 'predictions', (N, outputs), \
        as h5train predict writes them. N is dynamic.

        --safetensors m.ckpt.h5 m.safetensors: a PyTorch state_dict (0.weight, 0.bias, 2.weight, …) for nn.Sequential(Linear, \
        activation, Linear, …), in the safetensors format, and beside it m.py, the Python that \
        rebuilds the module with the normalisation in front (also printed).

        --keras m.ckpt.h5 m.weights.h5: Keras weights. A name ending in .weights.h5 gets Keras 3's native layout \
        (layers/dense/vars/0, …), any other name ending in .h5 the legacy Keras 2 layout (which \
        Keras 3 reads from such names). Build the Dense stack the command prints and call \
        model.load_weights(OUT); normalise the inputs as printed.

        tools/check-interop.py loads every export in ONNX Runtime, PyTorch and Keras 3 and compares \
        the predictions with h5train predict.
        """
    )

    @Option(help: ArgumentHelp("Checkpoint to export as an ONNX model.", valueName: "checkpoint"))
    var onnx: String?

    @Option(help: ArgumentHelp("Checkpoint to export as a PyTorch state_dict in safetensors.", valueName: "checkpoint"))
    var safetensors: String?

    @Option(help: ArgumentHelp("Checkpoint to export as Keras weights (.weights.h5: Keras 3; other .h5: legacy).", valueName: "checkpoint"))
    var keras: String?

    @Argument(help: ArgumentHelp("File to write.", valueName: "out"))
    var output: String

    func validate() throws {
        let given = [onnx, safetensors, keras].compactMap { $0 }.count
        guard given == 1 else {
            throw ValidationError("give exactly one of --onnx, --safetensors, --keras (got \(given))")
        }
    }

    func run() throws {
        guard runsInThisProcess("export") else { return }
        // The output is the OUT argument here, not a flag.
        try reportingErrors(spelling: { $0 == .output ? "OUT" : $0.flag }) { () throws(TrainingError) in
            if let onnx {
                let checkpoint = try TrainingState.read(from: onnx)
                try ONNXExport.write(checkpoint, checkpointPath: onnx, to: output)
                reportONNX(checkpoint)
            } else if let safetensors {
                try exportSafetensors(safetensors)
            } else if let keras {
                try exportKeras(keras)
            }
        }
    }

    private func reportONNX(_ checkpoint: TrainingState) {
        let model = ONNXExport.model(checkpoint)
        let architecture = checkpoint.model.architecture
        print("wrote \(output): ONNX opset \(ONNXExport.opsetVersion), \(model.graph.node.count) nodes, \(architecture.parameterCount) parameters")
        print("  input  '\(ONNXExport.inputName)': float32 (N, \(architecture.inputSize)), raw features as stored (images flattened)")
        print("  nodes  " + model.graph.node.map(\.opType).joined(separator: " "))
        print("  output '\(ONNXExport.outputName(checkpoint.model.task))': float32 (N, \(architecture.outputSize)), as h5train predict writes it")
    }

    private func exportSafetensors(_ path: String) throws(TrainingError) {
        let checkpoint = try TrainingState.read(from: path)
        let script = SafetensorsExport.scriptPath(for: output)
        try OutputPath.check(script, setting: .output, against: [("the checkpoint", path), ("the safetensors file", output)])
        try SafetensorsExport.write(checkpoint, checkpointPath: path, to: output)
        let source = PyTorchModuleSource.source(checkpoint, weightsPath: output)
        try SafetensorsExport.writeScript(source, to: script, checkpointPath: path)
        let tensors = SafetensorsExport.tensors(of: checkpoint)
        print("wrote \(output): \(tensors.count) float32 tensors (" + tensors.map(\.name).joined(separator: ", ") + ")")
        print("wrote \(script): the PyTorch module:")
        print(source, terminator: "")
    }

    private func exportKeras(_ path: String) throws(TrainingError) {
        let checkpoint = try TrainingState.read(from: path)
        if output.hasSuffix(Keras3Export.suffix) {
            try Keras3Export.write(checkpoint, checkpointPath: path, to: output)
            print("wrote \(output): Keras 3 weights, \(checkpoint.model.architecture.layers.count) Dense layers. Load them with:")
            for line in Keras3Export.pythonSource(checkpoint, weightsPath: output) { print("  " + line) }
        } else {
            guard output.hasSuffix(".h5") else {
                throw .invalidSetting(.output, "\(output): Keras chooses its reader by the file name; end it in .weights.h5 (Keras 3 layout) or .h5 (legacy layout)")
            }
            try KerasExport.write(checkpoint, checkpointPath: path, to: output)
            let layers = checkpoint.model.architecture.layers.enumerated().map { index, layer in
                let activation = KerasExport.kerasActivation(layer.activation).map { "'\($0)'" }
                    ?? "None, then \(layer.activation) (no Keras activation string)"
                return "\(KerasExport.layerName(index)): Dense(\(layer.outputs), activation=\(activation))"
            }
            print("wrote \(output): \(layers.count) Dense layer\(layers.count == 1 ? "" : "s"), input \(checkpoint.model.architecture.inputSize) (legacy Keras layout)")
            for line in layers { print("  " + line) }
        }
        print("  normalisation the inputs need: \(checkpoint.normalization)" + Self.normalizationHint(checkpoint.normalization, path))
        if checkpoint.model.task == .classification, let head = PyTorchModuleSource.probabilitiesHint(checkpoint) {
            print("  h5train predict's probabilities: \(head) of the outputs")
        }
    }

    static func normalizationHint(_ normalization: Normalization, _ checkpoint: String) -> String {
        switch normalization {
        case .none: ""
        case .scale(let factor): ": x = raw * \(factor)"
        case .standardize: ": x = (raw - mean) / std, mean and std from \(checkpoint) /normalization/mean and /normalization/std"
        }
    }
}
