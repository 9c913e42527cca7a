import Checkpoint
import Data
import Foundation
import HDF5
import NeuralNet
import ONNXProto
import Training
import XCTest

final class ONNXExportTests: XCTestCase {
    /// Encodes `checkpoint` and decodes the bytes with the generated types.
    private func decoded(_ checkpoint: TrainingState) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: ONNXExport.encode(checkpoint))
    }

    /// 4 → 3 relu → 2 softmax on image-like bytes (scale 1/255): the whole file against its golden structure.
    func testGoldenStructureOfAClassifier() throws {
        let checkpoint = ExportFixtures.checkpoint(widths: [4, 3, 2], activations: [.relu, .softmax], task: .classification,
                                                   normalization: .scale(factor: 1 / 255))
        let model = try decoded(checkpoint)
        XCTAssertEqual(model.irVersion, 7)
        XCTAssertEqual(model.opsetImport.map(\.domain), [""])
        XCTAssertEqual(model.opsetImport.map(\.version), [13])
        XCTAssertEqual(model.producerName, "h5train")

        let graph = model.graph
        let nodes = graph.node.map { [$0.opType] + $0.input + ["->"] + $0.output }
        XCTAssertEqual(nodes, [
            ["Mul", "features", "normalization.factor", "->", "normalization.scale"],
            ["Gemm", "normalization.scale", "dense_0.weight", "dense_0.bias", "->", "dense_0.gemm"],
            ["Relu", "dense_0.gemm", "->", "dense_0.relu"],
            ["Gemm", "dense_0.relu", "dense_1.weight", "dense_1.bias", "->", "dense_1.gemm"],
            ["Softmax", "dense_1.gemm", "->", "probabilities"],
        ])
        for gemm in graph.node where gemm.opType == "Gemm" {
            XCTAssertEqual(gemm.attribute.map(\.name), ["transB"])
            XCTAssertEqual(gemm.attribute.map(\.i), [1])
            XCTAssertEqual(gemm.attribute.map(\.type), [.int])
        }
        XCTAssertEqual(graph.node[4].attribute.map(\.name), ["axis"])
        XCTAssertEqual(graph.node[4].attribute.map(\.i), [1])

        // Initializers: the normalisation factor, then each layer's PyTorch-order weight and bias.
        XCTAssertEqual(graph.initializer.map(\.name),
                       ["normalization.factor", "dense_0.weight", "dense_0.bias", "dense_1.weight", "dense_1.bias"])
        XCTAssertEqual(graph.initializer.map(\.dims), [[], [3, 4], [3], [2, 3], [2]])
        XCTAssertTrue(graph.initializer.allSatisfy { $0.dataType == 1 })
        XCTAssertEqual(graph.initializer[0].floatData, [Float(1) / 255])
        let parameters = graph.initializer.dropFirst().flatMap(\.floatData)
        XCTAssertEqual(parameters, (0..<(12 + 3 + 6 + 2)).map(ExportFixtures.value))
        // weight[o][i]: row o of PyTorch's Linear.weight
        XCTAssertEqual(graph.initializer[1].floatData[1 * 4 + 2], ExportFixtures.value(6))

        // Named input and output, float32 (N × width) with the batch dimension symbolic.
        for (info, name, width) in [(graph.input, "features", 4), (graph.output, "probabilities", 2)] {
            XCTAssertEqual(info.map(\.name), [name])
            let tensor = info[0].type.tensorType
            XCTAssertEqual(tensor.elemType, 1)
            XCTAssertEqual(tensor.shape.dim.map(\.dimParam), ["N", ""])
            XCTAssertEqual(tensor.shape.dim.map(\.dimValue), [0, Int64(width)])
            XCTAssertEqual(tensor.shape.dim.map { $0.value == nil }, [false, false])
        }
        XCTAssertTrue(graph.docString.contains("(N, 4) float32, the raw features"), graph.docString)
    }

    func testRegressionWithStandardization() throws {
        let mean: [Float] = [1, -2, 0.5], std: [Float] = [2, 0.25, 1]
        let checkpoint = ExportFixtures.checkpoint(widths: [3, 5, 1], activations: [.tanh, .identity], task: .regression,
                                                   normalization: .standardize(mean: mean, std: std))
        let graph = try decoded(checkpoint).graph
        XCTAssertEqual(graph.node.map(\.opType), ["Sub", "Div", "Gemm", "Tanh", "Gemm"])
        XCTAssertEqual(graph.node.map(\.output[0]),
                       ["normalization.center", "normalization.standardize", "dense_0.gemm", "dense_0.tanh", "predictions"])
        XCTAssertEqual(graph.initializer[0].name, "normalization.mean")
        XCTAssertEqual(graph.initializer[0].floatData, mean)
        XCTAssertEqual(graph.initializer[1].floatData, std)
        XCTAssertEqual(graph.initializer.map(\.dims), [[3], [3], [5, 3], [5], [1, 5], [1]])
        XCTAssertEqual(graph.output.map(\.name), ["predictions"])
    }

    /// Each activation's nodes, in order (after the layer's Gemm).
    func testActivationNodes() throws {
        let expected: [(Activation, [String])] = [
            (.identity, []), (.relu, ["Relu"]), (.sigmoid, ["Sigmoid"]), (.tanh, ["Tanh"]),
            (.leakyReLU(slope: 0.2), ["LeakyRelu"]), (.elu(alpha: 0.5), ["Elu"]), (.silu, ["Sigmoid", "Mul"]),
            (.softplus(beta: 1), ["Softplus"]), (.softplus(beta: 2), ["Mul", "Softplus", "Div"]),
            (.gelu, ["Div", "Erf", "Add", "Mul", "Mul"]),
            (.geluTanh, ["Pow", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul"]),
            (.step, ["Greater", "Cast"]), (.logSoftmax, ["LogSoftmax"]), (.softmax, ["Softmax"]),
        ]
        for (activation, ops) in expected {
            let checkpoint = ExportFixtures.checkpoint(widths: [3, 4, 2], activations: [activation, .identity], task: .regression)
            let graph = try decoded(checkpoint).graph
            XCTAssertEqual(graph.node.map(\.opType), ["Gemm"] + ops + ["Gemm"], "\(activation)")
        }
        let leaky = try decoded(ExportFixtures.checkpoint(widths: [3, 2], activations: [.leakyReLU(slope: 0.2)], task: .regression))
        XCTAssertEqual(leaky.graph.node[1].attribute.map(\.f), [0.2])
        let step = try decoded(ExportFixtures.checkpoint(widths: [3, 2], activations: [.step], task: .regression))
        XCTAssertEqual(step.graph.node[2].attribute.map(\.i), [1])  // Cast to FLOAT
    }

    /// Classification heads match predict: nothing after softmax, Exp after log-softmax, Softmax otherwise.
    func testProbabilityHeads() throws {
        let heads: [(Activation, [String])] = [(.softmax, ["Softmax"]), (.logSoftmax, ["LogSoftmax", "Exp"]),
                                                (.identity, ["Softmax"]), (.sigmoid, ["Sigmoid", "Softmax"])]
        for (last, ops) in heads {
            let graph = try decoded(ExportFixtures.checkpoint(widths: [3, 4], activations: [last], task: .classification)).graph
            XCTAssertEqual(graph.node.map(\.opType), ["Gemm"] + ops, "\(last)")
            XCTAssertEqual(graph.node.last?.output, ["probabilities"])
        }
    }

    /// The decoded graph, evaluated by an independent interpreter, computes what predict computes.
    func testGraphComputesThePredictions() throws {
        let cases: [([Activation], TaskKind, Normalization)] = [
            ([.relu, .tanh, .softmax], .classification, .scale(factor: 1 / 255)),
            ([.gelu, .geluTanh, .logSoftmax], .classification, .standardize(mean: [1, 2, 3, 4, 5], std: [2, 1, 0.5, 3, 1])),
            ([.silu, .elu(alpha: 0.7), .identity], .regression, .none),
            ([.leakyReLU(slope: 0.1), .softplus(beta: 1), .sigmoid], .regression, .scale(factor: 0.5)),
            ([.softplus(beta: 3), .step, .identity], .classification, .none),
        ]
        let rows = 7
        for (activations, task, normalization) in cases {
            let checkpoint = ExportFixtures.checkpoint(widths: [5, 6, 4, 3], activations: activations, task: task,
                                                       normalization: normalization)
            let raw = ExportFixtures.features(rows: rows, features: 5, center: normalization == .scale(factor: 1 / 255) ? 128 : 0)
            let expected = ExportFixtures.predictions(checkpoint, raw: raw, rows: rows)
            let output = try ONNXInterpreter(graph: try decoded(checkpoint).graph).run(raw, rows: rows)
            XCTAssertEqual(output.shape, [rows, 3])
            for (index, value) in output.data.enumerated() {
                XCTAssertEqual(value, Double(expected[index]), accuracy: 1e-5, "\(activations) \(index)")
            }
        }
    }
}
