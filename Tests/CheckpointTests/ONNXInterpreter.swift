import Checkpoint
import Foundation
import NeuralNet
import ONNXProto
import Training

/// A small ONNX evaluator in Double for the operators the exporter uses, written from the ONNX
/// operator specifications (opset 13), to check what a decoded graph computes.
struct ONNXInterpreter {
    struct Value {
        var shape: [Int]
        var data: [Double]
    }

    enum Failure: Error { case unsupported(String), missing(String) }

    let graph: Onnx_GraphProto

    /// Runs the graph on `input` (rows × its declared width) and returns its single output.
    func run(_ input: [Float], rows: Int) throws -> Value {
        var values: [String: Value] = [:]
        for tensor in graph.initializer {
            values[tensor.name] = Value(shape: tensor.dims.map { Int($0) }, data: tensor.floatData.map(Double.init))
        }
        let width = Int(graph.input[0].type.tensorType.shape.dim[1].dimValue)
        values[graph.input[0].name] = Value(shape: [rows, width], data: input.map(Double.init))
        for node in graph.node {
            let inputs = try node.input.map { name -> Value in
                guard let value = values[name] else { throw Failure.missing(name) }
                return value
            }
            values[node.output[0]] = try evaluate(node, inputs)
        }
        guard let output = values[graph.output[0].name] else { throw Failure.missing(graph.output[0].name) }
        return output
    }

    private func attribute(_ node: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? {
        node.attribute.first { $0.name == name }
    }

    private func evaluate(_ node: Onnx_NodeProto, _ x: [Value]) throws -> Value {
        switch node.opType {
        case "Add": return broadcast(x[0], x[1], +)
        case "Sub": return broadcast(x[0], x[1], -)
        case "Mul": return broadcast(x[0], x[1], *)
        case "Div": return broadcast(x[0], x[1], /)
        case "Pow": return broadcast(x[0], x[1], pow)
        case "Greater": return broadcast(x[0], x[1]) { $0 > $1 ? 1 : 0 }
        case "Cast": return x[0]
        case "Relu": return map(x[0]) { max($0, 0) }
        case "LeakyRelu":
            let alpha = Double(attribute(node, "alpha")?.f ?? 0.01)
            return map(x[0]) { $0 > 0 ? $0 : alpha * $0 }
        case "Elu":
            let alpha = Double(attribute(node, "alpha")?.f ?? 1)
            return map(x[0]) { $0 > 0 ? $0 : alpha * expm1($0) }
        case "Sigmoid": return map(x[0]) { 1 / (1 + exp(-$0)) }
        case "Tanh": return map(x[0]) { tanh($0) }
        case "Erf": return map(x[0]) { erf($0) }
        case "Exp": return map(x[0]) { exp($0) }
        case "Softplus": return map(x[0]) { $0 > 0 ? $0 + log1p(exp(-$0)) : log1p(exp($0)) }
        case "Softmax", "LogSoftmax":
            guard attribute(node, "axis")?.i == 1, x[0].shape.count == 2 else { throw Failure.unsupported("\(node.opType) axis") }
            return rowwise(x[0], log: node.opType == "LogSoftmax")
        case "Gemm":
            guard attribute(node, "transB")?.i == 1, attribute(node, "transA") == nil else { throw Failure.unsupported("Gemm form") }
            return gemm(x[0], x[1], x[2])
        default: throw Failure.unsupported(node.opType)
        }
    }

    private func map(_ x: Value, _ f: (Double) -> Double) -> Value { Value(shape: x.shape, data: x.data.map(f)) }

    /// a ∘ b where b is a scalar, a vector along the last axis, or the same shape as a.
    private func broadcast(_ a: Value, _ b: Value, _ f: (Double, Double) -> Double) -> Value {
        let n = max(b.data.count, 1)
        precondition(b.data.count == 1 || b.data.count == a.data.count || b.shape == [a.shape.last ?? 0], "unsupported broadcast")
        return Value(shape: a.shape, data: a.data.indices.map { f(a.data[$0], b.data[b.data.count == 1 ? 0 : $0 % n]) })
    }

    private func rowwise(_ x: Value, log: Bool) -> Value {
        let columns = x.shape[1]
        var result = x.data
        for r in 0..<x.shape[0] {
            let row = x.data[(r * columns)..<((r + 1) * columns)]
            let top = row.max() ?? 0
            let logSum = top + Foundation.log(row.reduce(0) { $0 + exp($1 - top) })
            for c in 0..<columns { result[r * columns + c] = log ? row[row.startIndex + c] - logSum : exp(row[row.startIndex + c] - logSum) }
        }
        return Value(shape: x.shape, data: result)
    }

    /// a · bᵀ + c, with b (outputs × inputs) and c (outputs).
    private func gemm(_ a: Value, _ b: Value, _ c: Value) -> Value {
        let (rows, inner, outputs) = (a.shape[0], a.shape[1], b.shape[0])
        precondition(b.shape[1] == inner && c.data.count == outputs, "Gemm shapes")
        var data = [Double](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var sum = c.data[o]
                for i in 0..<inner { sum += a.data[r * inner + i] * b.data[o * inner + i] }
                data[r * outputs + o] = sum
            }
        }
        return Value(shape: [rows, outputs], data: data)
    }
}
