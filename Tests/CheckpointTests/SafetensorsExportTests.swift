import Checkpoint
import Foundation
import HDF5
import NeuralNet
import Training
import XCTest

final class SafetensorsExportTests: XCTestCase {
    private let checkpoint = ExportFixtures.checkpoint(widths: [3, 2, 1], activations: [.relu, .identity], task: .regression)

    /// The header the reference writer (safetensors 0.8.0, `safetensors.numpy.save(tensors,
    /// metadata={"format": "pt"})`) writes for these tensors: 280 bytes, three of them padding spaces.
    func testHeaderMatchesTheReferenceWriter() {
        let bytes = SafetensorsExport.encode(SafetensorsExport.tensors(of: checkpoint), metadata: [("format", "pt")])
        let reference = #"{"__metadata__":{"format":"pt"},"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]},"2.bias":{"dtype":"F32","shape":[1],"data_offsets":[32,36]},"#
            + #""2.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[36,44]}}   "#
        XCTAssertEqual(Array(bytes[0..<8]), [24, 1, 0, 0, 0, 0, 0, 0])  // 280, little-endian
        XCTAssertEqual(String(decoding: bytes[8..<288], as: UTF8.self), reference)
        XCTAssertEqual(bytes.count, 8 + 280 + 44)
    }

    /// The file's header with h5train's metadata, and its data: each tensor's float32 values,
    /// little-endian, at its offsets, in PyTorch's layout.
    func testFileHeaderAndData() throws {
        let bytes = SafetensorsExport.encode(SafetensorsExport.tensors(of: checkpoint), metadata: SafetensorsExport.metadata(of: checkpoint))
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        XCTAssertEqual(length % 8, 0)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        let json = #"{"__metadata__":{"format":"pt","h5train_activations":"relu,identity","h5train_normalization":"none","#
            + #""h5train_task":"regression"},"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]},"2.bias":{"dtype":"F32","shape":[1],"data_offsets":[32,36]},"#
            + #""2.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[36,44]}}"#
        XCTAssertEqual(header, json + String(repeating: " ", count: length - json.utf8.count))
        XCTAssertLessThan(length - json.utf8.count, 8)

        let data = Array(bytes[(8 + length)...])
        func floats(_ range: Range<Int>) -> [Float] {
            stride(from: range.lowerBound, to: range.upperBound, by: 4).map { offset in
                Float(bitPattern: data[offset..<(offset + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            }
        }
        let value = ExportFixtures.value
        XCTAssertEqual(floats(0..<8), [value(6), value(7)])              // 0.bias
        XCTAssertEqual(floats(8..<32), (0..<6).map(value))               // 0.weight, 2 × 3 row-major
        XCTAssertEqual(floats(32..<36), [value(10)])                     // 2.bias
        XCTAssertEqual(floats(36..<44), [value(8), value(9)])            // 2.weight
        XCTAssertEqual(data.count, 44)
    }

    /// Names sort as strings, as the reference writer sorts them: "10.bias" before "2.bias".
    func testNamesSortAsStrings() {
        let deep = ExportFixtures.checkpoint(widths: [2, 2, 2, 2, 2, 2, 1], activations: [.relu, .relu, .relu, .relu, .relu, .identity],
                                             task: .regression)
        XCTAssertEqual(SafetensorsExport.tensors(of: deep).map(\.name),
                       ["0.bias", "0.weight", "10.bias", "10.weight", "2.bias", "2.weight", "4.bias", "4.weight",
                        "6.bias", "6.weight", "8.bias", "8.weight"])
        XCTAssertEqual(SafetensorsExport.tensors(of: deep).first { $0.name == "10.weight" }?.shape, [1, 2])
    }

    func testScriptPathAndPythonSource() {
        XCTAssertEqual(SafetensorsExport.scriptPath(for: "out/m.safetensors"), "out/m.py")
        XCTAssertEqual(SafetensorsExport.scriptPath(for: "m.st"), "m.st.py")
        let classifier = ExportFixtures.checkpoint(widths: [4, 3, 2], activations: [.geluTanh, .logSoftmax], task: .classification,
                                                   normalization: .standardize(mean: [0.5, 1, 2, 3], std: [1, 2, 0.25, 1]))
        let source = PyTorchModuleSource.source(classifier, weightsPath: "m.safetensors")
        for line in ["net = nn.Sequential(", "    nn.Linear(4, 3), nn.GELU(approximate='tanh'),", "    nn.Linear(3, 2), nn.LogSoftmax(dim=1),",
                     "net.load_state_dict(load_file('m.safetensors'))", "model = nn.Sequential(Standardize(",
                     "        0.5, 1.0, 2.0, 3.0,", "        1.0, 2.0, 0.25, 1.0,", "), net, Exp()).eval()", "class Exp(nn.Module):"] {
            XCTAssertTrue(source.contains(line + "\n"), "missing \(line):\n\(source)")
        }
        let scaled = ExportFixtures.checkpoint(widths: [4, 2], activations: [.softmax], task: .classification, normalization: .scale(factor: 1 / 255))
        XCTAssertTrue(PyTorchModuleSource.source(scaled, weightsPath: "w.safetensors")
            .contains("model = nn.Sequential(Scale(0.00392156886), net).eval()\n"))
        XCTAssertEqual(PyTorchModuleSource.module(.leakyReLU(slope: 0.01)), "nn.LeakyReLU(0.00999999978)")
        XCTAssertEqual(PyTorchModuleSource.module(.softplus(beta: 2)), "nn.Softplus(beta=2.0)")
    }
}
