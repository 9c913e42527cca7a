import Data
import DataParallel
import Foundation
import NeuralNet
import ONNXProto
import Optimizers
import Settings
import SwiftProtobuf
import Training

/// A checkpoint's network as an ONNX model (opset 13, IR version 7) that computes what
/// `h5train predict` writes, from the raw features:
///
///     features (N × inputs, float32)          the features as the HDF5 file stores them, converted
///                                             to float32, images flattened row-major: (N, 28, 28)
///                                             uint8 becomes (N, 784) float32 with the values 0…255
///     Mul(factor) or Sub(mean), Div(std)      the checkpoint's normalisation (none: no node)
///     Gemm(transB=1) + activation, per layer  weight (outputs × inputs) and bias as initializers
///     Softmax (axis 1) or Exp                 classification only, as predict: nothing after a
///                                             softmax layer, Exp after log-softmax, else Softmax
///     probabilities or predictions (N × outputs, float32), named as predict's output datasets
///
/// N is the symbolic dimension "N". Opset 13 has no Gelu, so GELU is built from Erf (exact) or
/// Tanh and Pow (the tanh approximation); SiLU is x·Sigmoid(x); softplus with β ≠ 1 is
/// Softplus(β·x)/β; step is Cast(Greater(x, 0)).
public enum ONNXExport {
    /// The opset the graph is written for.
    public static let opsetVersion: Int64 = 13
    /// The IR version that goes with opset 13 (ONNX 1.8).
    public static let irVersion: Int64 = 7
    /// The graph's input.
    public static let inputName = "features"
    /// The symbolic batch dimension of the input and output.
    public static let batchDimension = "N"
    /// ONNX's element type code of float32 (`TensorProto.FLOAT`).
    public static let float32: Int32 = 1

    /// Parameters that fit in one protobuf message (2 GiB) with room for the graph around them.
    public static let maximumParameters = (Int(Int32.max) - (1 << 20)) / 4

    /// The graph's output: `probabilities` for classification, `predictions` for regression.
    public static func outputName(_ task: TaskKind) -> String { task == .classification ? "probabilities" : "predictions" }

    /// The whole model for `checkpoint`.
    public static func model(_ checkpoint: TrainingState) -> Onnx_ModelProto {
        let architecture = checkpoint.model.architecture, task = checkpoint.model.task
        var graph = GraphBuilder(input: inputName)
        addNormalization(checkpoint.normalization, to: &graph)
        let parameters = architecture.pytorchOrder(checkpoint.parameters)
        for (index, layer) in architecture.layers.enumerated() {
            let weightStart = architecture.weightOffsets[index], biasStart = architecture.biasOffset(index)
            let name = "dense_\(index)"
            let weight = graph.initializer("\(name).weight", [layer.outputs, layer.inputs], Array(parameters[weightStart..<biasStart]))
            let bias = graph.initializer("\(name).bias", [layer.outputs], Array(parameters[biasStart..<(biasStart + layer.outputs)]))
            graph.node("Gemm", [graph.last, weight, bias], name: "\(name).gemm", attributes: [.int("transB", 1)])
            addActivation(layer.activation, name: name, to: &graph)
        }
        if task == .classification {
            switch architecture.layers[architecture.layers.count - 1].activation {
            case .softmax: break
            case .logSoftmax: graph.node("Exp", [graph.last], name: "probabilities.exp")
            default: graph.node("Softmax", [graph.last], name: "probabilities.softmax", attributes: [.int("axis", 1)])
            }
        }
        return graph.model(output: outputName(task), inputs: architecture.inputSize, outputs: architecture.outputSize,
                           documentation: documentation(checkpoint))
    }

    /// The encoded model (protobuf binary, what `.onnx` files hold).
    public static func encode(_ checkpoint: TrainingState) -> [UInt8] {
        // Serialising a fully built message only fails for proto2 required fields, and ONNX has none.
        guard let bytes: [UInt8] = try? model(checkpoint).serializedBytes() else {
            preconditionFailure("an ONNX model without required fields failed to serialise")
        }
        return bytes
    }

    /// Writes the model to `path` (atomically), refusing to overwrite `checkpointPath`.
    public static func write(_ checkpoint: TrainingState, checkpointPath: String, to path: String) throws(TrainingError) {
        try OutputPath.check(path, setting: .output, against: [("the checkpoint", checkpointPath)])
        // Protobuf messages are limited to 2 GiB; larger models would need ONNX's external data files.
        guard checkpoint.model.architecture.parameterCount < maximumParameters else {
            throw .output(path: path, message: "\(checkpoint.model.architecture.parameterCount) parameters do not fit in one ONNX file (protobuf's 2 GiB limit: at most \(maximumParameters - 1)); external data files are not supported")
        }
        try ExportFile.write(encode(checkpoint), to: path, setting: .output, checkpointPath: checkpointPath)
    }

    /// The graph's doc string: what the input and output are.
    static func documentation(_ checkpoint: TrainingState) -> String {
        let architecture = checkpoint.model.architecture
        return "h5train network \(architecture.inputSize)→" + architecture.layers.map { "\($0.outputs) \($0.activation)" }.joined(separator: "→")
            + ". Input '\(inputName)': (N, \(architecture.inputSize)) float32, the raw features as the HDF5 file stores them"
            + " (integers converted to float, images flattened row-major); the graph applies the normalisation"
            + " (\(checkpoint.normalization)). Output '\(outputName(checkpoint.model.task))': what h5train predict writes."
    }

    private static func addNormalization(_ normalization: Normalization, to graph: inout GraphBuilder) {
        switch normalization {
        case .none:
            break
        case .scale(let factor):
            let constant = graph.initializer("normalization.factor", [], [factor])
            graph.node("Mul", [graph.last, constant], name: "normalization.scale")
        case .standardize(let mean, let std):
            let m = graph.initializer("normalization.mean", [mean.count], mean)
            let s = graph.initializer("normalization.std", [std.count], std)
            graph.node("Sub", [graph.last, m], name: "normalization.center")
            graph.node("Div", [graph.last, s], name: "normalization.standardize")
        }
    }

    private static func addActivation(_ activation: Activation, name: String, to graph: inout GraphBuilder) {
        let z = graph.last
        switch activation {
        case .identity: break
        case .sigmoid: graph.node("Sigmoid", [z], name: "\(name).sigmoid")
        case .tanh: graph.node("Tanh", [z], name: "\(name).tanh")
        case .relu: graph.node("Relu", [z], name: "\(name).relu")
        case .leakyReLU(let slope): graph.node("LeakyRelu", [z], name: "\(name).leaky_relu", attributes: [.float("alpha", slope)])
        case .softmax: graph.node("Softmax", [z], name: "\(name).softmax", attributes: [.int("axis", 1)])
        case .logSoftmax: graph.node("LogSoftmax", [z], name: "\(name).log_softmax", attributes: [.int("axis", 1)])
        case .elu(let alpha): graph.node("Elu", [z], name: "\(name).elu", attributes: [.float("alpha", alpha)])
        case .silu:
            let s = graph.node("Sigmoid", [z], name: "\(name).silu.sigmoid")
            graph.node("Mul", [z, s], name: "\(name).silu")
        case .step:
            let zero = graph.initializer("\(name).step.zero", [], [0])
            let positive = graph.node("Greater", [z, zero], name: "\(name).step.greater")
            graph.node("Cast", [positive], name: "\(name).step", attributes: [.int("to", Int64(float32))])
        case .softplus(let beta):
            if beta == 1 {
                graph.node("Softplus", [z], name: "\(name).softplus")
            } else {
                let b = graph.initializer("\(name).softplus.beta", [], [beta])
                let scaled = graph.node("Mul", [z, b], name: "\(name).softplus.scale")
                let soft = graph.node("Softplus", [scaled], name: "\(name).softplus.inner")
                graph.node("Div", [soft, b], name: "\(name).softplus")
            }
        case .gelu: addGELU(z, name: name, to: &graph)
        case .geluTanh: addGELUTanh(z, name: name, to: &graph)
        }
    }

    /// ½·z·(1 + erf(z/√2)).
    private static func addGELU(_ z: String, name: String, to graph: inout GraphBuilder) {
        let root = graph.initializer("\(name).gelu.sqrt2", [], [Float(2).squareRoot()])
        let one = graph.initializer("\(name).gelu.one", [], [1])
        let half = graph.initializer("\(name).gelu.half", [], [0.5])
        let scaled = graph.node("Div", [z, root], name: "\(name).gelu.div")
        let erf = graph.node("Erf", [scaled], name: "\(name).gelu.erf")
        let shifted = graph.node("Add", [erf, one], name: "\(name).gelu.add")
        let product = graph.node("Mul", [z, shifted], name: "\(name).gelu.mul")
        graph.node("Mul", [product, half], name: "\(name).gelu")
    }

    /// ½·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))).
    private static func addGELUTanh(_ z: String, name: String, to graph: inout GraphBuilder) {
        let three = graph.initializer("\(name).gelu_tanh.three", [], [3])
        let kappa = graph.initializer("\(name).gelu_tanh.kappa", [], [0.044715])
        let root = graph.initializer("\(name).gelu_tanh.sqrt_2_over_pi", [], [Float((2 / Double.pi).squareRoot())])
        let one = graph.initializer("\(name).gelu_tanh.one", [], [1])
        let half = graph.initializer("\(name).gelu_tanh.half", [], [0.5])
        let cube = graph.node("Pow", [z, three], name: "\(name).gelu_tanh.pow")
        let cubic = graph.node("Mul", [cube, kappa], name: "\(name).gelu_tanh.cubic")
        let inner = graph.node("Add", [z, cubic], name: "\(name).gelu_tanh.inner")
        let u = graph.node("Mul", [inner, root], name: "\(name).gelu_tanh.scale")
        let t = graph.node("Tanh", [u], name: "\(name).gelu_tanh.tanh")
        let shifted = graph.node("Add", [t, one], name: "\(name).gelu_tanh.add")
        let product = graph.node("Mul", [z, shifted], name: "\(name).gelu_tanh.mul")
        graph.node("Mul", [product, half], name: "\(name).gelu_tanh")
    }
}

/// Collects the nodes and initializers of a straight-line graph; each node's single output is
/// named after the node, and the last one is renamed to the graph's output.
struct GraphBuilder {
    enum Attribute {
        case int(String, Int64)
        case float(String, Float)
    }

    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    /// The value the next node consumes: the input, then each node's output.
    private(set) var last: String
    private let input: String

    init(input: String) {
        self.input = input
        last = input
    }

    /// Adds a float32 initializer and returns its name.
    mutating func initializer(_ name: String, _ dims: [Int], _ values: [Float]) -> String {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = dims.map(Int64.init)
        tensor.dataType = ONNXExport.float32
        tensor.floatData = values
        initializers.append(tensor)
        return name
    }

    /// Adds a node whose output is named `name`, and returns that name.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], name: String, attributes: [Attribute] = []) -> String {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = name
        node.input = inputs
        node.output = [name]
        node.attribute = attributes.map { attribute in
            var proto = Onnx_AttributeProto()
            switch attribute {
            case .int(let key, let value):
                proto.name = key
                proto.type = .int
                proto.i = value
            case .float(let key, let value):
                proto.name = key
                proto.type = .float
                proto.f = value
            }
            return proto
        }
        nodes.append(node)
        last = name
        return name
    }

    /// The model: the graph with `output` as the last node's output name, input and output (N × width) float32.
    func model(output: String, inputs: Int, outputs: Int, documentation: String) -> Onnx_ModelProto {
        var graph = Onnx_GraphProto()
        graph.name = "h5train"
        graph.docString = documentation
        graph.node = nodes
        if let index = graph.node.indices.last {
            graph.node[index].output = [output]
            graph.node[index].name = output
        }
        graph.initializer = initializers
        graph.input = [Self.valueInfo(input, width: inputs)]
        graph.output = [Self.valueInfo(output, width: outputs)]
        var model = Onnx_ModelProto()
        model.irVersion = ONNXExport.irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = ONNXExport.opsetVersion
        model.opsetImport = [opset]
        model.producerName = "h5train"
        model.graph = graph
        return model
    }

    private static func valueInfo(_ name: String, width: Int) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = ONNXExport.batchDimension
        var columns = Onnx_TensorShapeProto.Dimension()
        columns.dimValue = Int64(width)
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = ONNXExport.float32
        tensor.shape.dim = [batch, columns]
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensor
        return info
    }
}
