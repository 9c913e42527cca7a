import Checkpoint
import Foundation
import HDF5
import NeuralNet
import Settings
import Training
import XCTest

final class Keras3ExportTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("h5train-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// One object of the golden layout: what tools/make-keras3-layout.py lists from Keras' own file.
    struct Object: Decodable, Equatable {
        struct Attribute: Decodable, Equatable {
            var value: String
            var variableLengthString: Bool
        }
        var path: String
        var kind: String
        var attributes: [String: Attribute]
        var shape: [Int]?
        var dtype: String?
    }

    struct Layout: Decodable {
        var kerasVersion: String
        var objects: [Object]
    }

    private func golden() throws -> Layout {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/keras3-layout.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Layout.self, from: Data(contentsOf: url))
    }

    /// Every group and dataset of `file` below `path`, as the golden layout lists them.
    private func list(_ file: File, _ group: Group, path: String) throws -> [Object] {
        func attributes(_ holder: some AttributeHolder) throws -> [String: Object.Attribute] {
            var result: [String: Object.Attribute] = [:]
            for name in try holder.attributeNames() {
                result[name] = .init(value: try holder.stringAttribute(name), variableLengthString: true)
            }
            return result
        }
        var objects = [Object(path: path.isEmpty ? "/" : path, kind: "group", attributes: try attributes(group))]
        for name in try group.childNames() {
            let child = path + "/" + name
            if group.contains(name), let dataset = try? group.dataset(name) {
                XCTAssertEqual(dataset.elementType, .float(bytes: 4), child)
                objects.append(Object(path: child, kind: "dataset", attributes: try attributes(dataset), shape: dataset.shape, dtype: "float32"))
            } else {
                objects += try list(file, try group.group(name), path: child)
            }
        }
        return objects
    }

    /// The same network Keras saved (64 → 16 relu → 8 tanh → 10 softmax) has the same objects, shapes and attributes.
    func testLayoutMatchesWhatKerasWrites() throws {
        let layout = try golden()
        XCTAssertTrue(layout.kerasVersion.hasPrefix("3."), layout.kerasVersion)
        let checkpoint = ExportFixtures.checkpoint(widths: [64, 16, 8, 10], activations: [.relu, .tanh, .softmax], task: .classification)
        let path = folder.appendingPathComponent("m.weights.h5").path
        try Keras3Export.write(checkpoint, checkpointPath: folder.appendingPathComponent("m.ckpt.h5").path, to: path)
        let file = try File.open(path)
        let objects = try list(file, try file.root, path: "").sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        XCTAssertEqual(objects.map(\.path), layout.objects.map(\.path))
        XCTAssertEqual(objects, layout.objects)

        // Values: vars/0 is the kernel (inputs × outputs), vars/1 the bias.
        let kernel = try file.dataset("layers/dense_1/vars/0").read(Float.self)
        let bias = try file.dataset("layers/dense_1/vars/1").read(Float.self)
        let architecture = checkpoint.model.architecture
        let pytorch = architecture.pytorchOrder(checkpoint.parameters)
        let start = architecture.weightOffsets[1]
        for (i, o) in [(0, 0), (15, 0), (0, 7), (9, 4)] {
            XCTAssertEqual(kernel[i * 8 + o], pytorch[start + o * 16 + i])  // kernel[i][o] = weight[o][i]
        }
        XCTAssertEqual(bias, Array(pytorch[(start + 128)..<(start + 136)]))
    }

    func testRefusesOtherNamesAndTheCheckpoint() throws {
        let checkpoint = ExportFixtures.checkpoint(widths: [3, 2], activations: [.softmax], task: .classification)
        let plain = folder.appendingPathComponent("m.h5").path
        XCTAssertThrowsError(try Keras3Export.write(checkpoint, checkpointPath: "elsewhere.ckpt.h5", to: plain)) { error in
            XCTAssertEqual((error as? TrainingError)?.exitStatus, 64)
            XCTAssertTrue("\(error)".contains("ending in .weights.h5"), "\(error)")
        }
        let same = folder.appendingPathComponent("m.weights.h5").path
        XCTAssertThrowsError(try Keras3Export.write(checkpoint, checkpointPath: same, to: same)) { error in
            XCTAssertTrue("\(error)".contains("refusing to overwrite it"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: plain))
    }

    func testPythonLines() {
        let checkpoint = ExportFixtures.checkpoint(widths: [3, 4, 2], activations: [.gelu, .softmax], task: .classification)
        XCTAssertEqual(Keras3Export.pythonSource(checkpoint, weightsPath: "m.weights.h5"), [
            "import keras", "model = keras.Sequential([", "    keras.Input(shape=(3,)),",
            "    keras.layers.Dense(4, activation=lambda x: keras.activations.gelu(x, approximate=False), name='dense'),",
            "    keras.layers.Dense(2, activation='softmax', name='dense_1'),", "])", "model.load_weights('m.weights.h5')",
        ])
    }
}
