import Checkpoint
import DataParallel
import Foundation
import HDF5
import NeuralNet
import ONNXProto
import Training
import XCTest

/// `h5train export --onnx / --safetensors / --keras`, `train --epochs 0` and `inspect --json`'s
/// per-layer activations, through the binary.
final class ExportCommandTests: XCTestCase {
    private var folder: TemporaryDirectory!

    override func setUpWithError() throws {
        folder = try TemporaryDirectory()
    }

    override func tearDown() {
        folder = nil
    }

    /// 64 → 16 tanh → 8 relu → 10 on digits bytes (uint8, so scaled by 1/255), 1 epoch.
    private func trainDigits(epochs: String = "1") throws -> String {
        let checkpoint = folder.file("digits.ckpt.h5")
        XCTAssertSuccess(try CLI.run(["train", "--data", CLI.dataset("digits-u8.h5"), "--hidden", "16:tanh,8:relu",
                                      "--epochs", epochs, "--workers", "2", "--checkpoint", checkpoint, "--quiet"]))
        return checkpoint
    }

    func testONNX() throws {
        let checkpoint = try trainDigits()
        let out = folder.file("digits.onnx")
        let result = try CLI.run(["export", "--onnx", checkpoint, out])
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdout.contains("nodes  Mul Gemm Tanh Gemm Relu Gemm Softmax"), result.stdout)
        let model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: out)))
        XCTAssertEqual(model.opsetImport.map(\.version), [13])
        XCTAssertEqual(model.graph.input.map(\.name), ["features"])
        XCTAssertEqual(model.graph.output.map(\.name), ["probabilities"])
        XCTAssertEqual(model.graph.initializer.first?.floatData, [Float(1) / 255])
        // The weights are the checkpoint's, in PyTorch's layout (/model/dense_i/weight).
        let file = try File.open(checkpoint)
        for index in 0..<3 {
            let weight = model.graph.initializer.first { $0.name == "dense_\(index).weight" }
            XCTAssertEqual(weight?.floatData, try file.dataset("model/dense_\(index)/weight").read(Float.self))
            XCTAssertEqual(weight?.dims.map { Int($0) }, try file.dataset("model/dense_\(index)/weight").shape)
        }
    }

    func testSafetensorsAndItsScript() throws {
        let checkpoint = try trainDigits()
        let out = folder.file("digits.safetensors")
        let result = try CLI.run(["export", "--safetensors", checkpoint, out])
        XCTAssertSuccess(result)
        let script = try String(contentsOfFile: folder.file("digits.py"), encoding: .utf8)
        XCTAssertTrue(result.stdout.hasSuffix(script), result.stdout)
        XCTAssertTrue(script.contains("    nn.Linear(64, 16), nn.Tanh(),\n    nn.Linear(16, 8), nn.ReLU(),\n    nn.Linear(8, 10), nn.Softmax(dim=1),\n"), script)
        XCTAssertTrue(script.contains("model = nn.Sequential(Scale(0.00392156886), net).eval()"), script)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        XCTAssertTrue(header.contains(#""4.weight":{"dtype":"F32","shape":[10,8],"data_offsets":["#), header)
        XCTAssertEqual(bytes.count, 8 + length + 4 * (64 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10))
    }

    func testKerasNamesChooseTheLayout() throws {
        let checkpoint = try trainDigits()
        let native = folder.file("digits.weights.h5"), legacy = folder.file("digits.h5")
        let result = try CLI.run(["export", "--keras", checkpoint, native])
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdout.contains("keras.layers.Dense(16, activation='tanh', name='dense'),"), result.stdout)
        XCTAssertTrue(result.stdout.contains("normalisation the inputs need: scale ×0.003921569: x = raw * 0.003921569"), result.stdout)
        XCTAssertEqual(try File.open(native).dataset("layers/dense_2/vars/0").shape, [8, 10])
        XCTAssertFalse(try File.open(native).root.hasAttribute("layer_names"))

        XCTAssertSuccess(try CLI.run(["export", "--keras", checkpoint, legacy]))
        XCTAssertEqual(try File.open(legacy).root.stringArrayAttribute("layer_names"), ["dense_0", "dense_1", "dense_2"])

        let other = folder.file("digits.keras")
        let refused = try CLI.run(["export", "--keras", checkpoint, other])
        XCTAssertEqual(refused.status, 64, refused.description)
        XCTAssertEqual(refused.stderrLines.count, 1, refused.description)
        XCTAssertTrue(refused.stderr.contains("end it in .weights.h5 (Keras 3 layout) or .h5 (legacy layout)"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: other))
    }

    func testExactlyOneFormat() throws {
        let checkpoint = try trainDigits()
        for arguments in [["export", folder.file("x.onnx")], ["export", "--onnx", checkpoint, "--keras", checkpoint, folder.file("x.onnx")]] {
            let result = try CLI.run(arguments)
            XCTAssertEqual(result.status, 64, result.description)
            XCTAssertTrue(result.stderr.contains("give exactly one of --onnx, --safetensors, --keras"), result.stderr)
        }
        let same = try CLI.run(["export", "--onnx", checkpoint, checkpoint])
        XCTAssertEqual(same.status, 64, same.description)
        XCTAssertNoThrow(try TrainingState.read(from: checkpoint))
    }

    func testZeroEpochsAndPerLayerActivations() throws {
        let checkpoint = try trainDigits(epochs: "0")
        let json = try CLI.run(["inspect", checkpoint, "--json"])
        XCTAssertSuccess(json)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["epoch"] as? Int, 0)
        XCTAssertEqual(object["step"] as? Int, 0)
        XCTAssertEqual((object["hyperparameters"] as? [String: Any])?["hidden_activations"] as? [String], ["tanh", "relu"])
        let missing = try CLI.run(["train", "--data", CLI.dataset("digits-u8.h5"), "--epochs", "0"])
        XCTAssertEqual(missing.status, 64, missing.description)
        XCTAssertTrue(missing.stderr.contains("--epochs: 0 trains nothing and saves the initial model; it needs --checkpoint PATH"), missing.stderr)
    }
}
