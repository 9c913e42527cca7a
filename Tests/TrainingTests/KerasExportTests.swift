@testable import Checkpoint
@testable import Data
import Foundation
import HDF5
@testable import NeuralNet
@testable import Settings
@testable import Training
import XCTest

final class KerasExportTests: XCTestCase {
    private let folder = TemporaryFolder()

    func testLayoutNamesShapesAndValues() throws {
        let path = folder.path("digits.ckpt.h5"), out = folder.path("digits.keras.h5")
        _ = try TinyModels.digits(checkpoint: path, hidden: [16, 8], epochs: 1)
        let checkpoint = try TrainingState.read(from: path)
        try KerasExport.write(checkpoint, checkpointPath: path, to: out)

        let file = try File.open(out)
        let root = try file.root
        XCTAssertEqual(try root.stringArrayAttribute("layer_names"), ["dense_0", "dense_1", "dense_2"])
        XCTAssertEqual(try root.stringAttribute("backend"), "tensorflow")
        XCTAssertEqual(try root.stringAttribute("keras_version"), "2.x")
        XCTAssertEqual(try root.stringArrayAttribute("h5train_activations"), ["relu", "relu", "softmax"])
        XCTAssertEqual(try root.childNames(), ["dense_0", "dense_1", "dense_2"])

        let architecture = checkpoint.model.architecture
        for (index, layer) in architecture.layers.enumerated() {
            let name = "dense_\(index)"
            let group = try file.group(name)
            XCTAssertEqual(try group.stringArrayAttribute("weight_names"), ["\(name)/kernel:0", "\(name)/bias:0"])
            let kernel = try file.dataset("\(name)/\(name)/kernel:0"), bias = try file.dataset("\(name)/\(name)/bias:0")
            XCTAssertEqual(kernel.shape, [layer.inputs, layer.outputs])
            XCTAssertEqual(bias.shape, [layer.outputs])
            XCTAssertEqual(kernel.elementType, .float(bytes: 4))
            let k = try kernel.read(Float.self), b = try bias.read(Float.self)
            let weightStart = architecture.weightOffsets[index], biasStart = architecture.biasOffset(index)
            // Keras' kernel is inputs × outputs, as the engine keeps W.
            XCTAssertEqual(k.map(\.bitPattern), checkpoint.parameters[weightStart..<biasStart].map(\.bitPattern))
            XCTAssertEqual(b, Array(checkpoint.parameters[biasStart..<(biasStart + layer.outputs)]))
        }
        XCTAssertEqual(architecture.layers.map(\.inputs), [64, 16, 8])
    }

    /// x·K + b with the exported kernels (Keras' Dense) gives h5train's predictions.
    func testExportedKernelsReproduceThePredictions() throws {
        let path = folder.path("digits.ckpt.h5"), out = folder.path("digits.keras.h5")
        _ = try TinyModels.digits(checkpoint: path)
        let checkpoint = try TrainingState.read(from: path)
        try KerasExport.write(checkpoint, checkpointPath: path, to: out)
        let samples = try checkpoint.loadSamples(DataSource(file: TinyModels.digitsFile, x: "x_test", y: ""))
        let expected = TinyModels.engineOutputs(checkpoint, samples)

        let file = try File.open(out)
        let layers = try (0..<2).map { i in
            (try file.dataset("dense_\(i)/dense_\(i)/kernel:0"), try file.dataset("dense_\(i)/dense_\(i)/bias:0"))
        }
        for row in [0, 1, 123, 359] {
            var x = samples.features[(row * 64)..<((row + 1) * 64)].map(Double.init)
            for (index, (kernel, bias)) in layers.enumerated() {
                let (inputs, outputs) = (kernel.shape[0], kernel.shape[1])
                let k = try kernel.read(Float.self), b = try bias.read(Float.self)
                var y = (0..<outputs).map { o in Double(b[o]) + (0..<inputs).reduce(0) { $0 + x[$1] * Double(k[$1 * outputs + o]) } }
                if index == 0 {
                    y = y.map { max($0, 0) }
                } else {
                    let top = y.max() ?? 0, sum = y.reduce(0) { $0 + exp($1 - top) }
                    y = y.map { exp($0 - top) / sum }
                }
                x = y
            }
            for k in 0..<10 { XCTAssertEqual(x[k], Double(expected[row * 10 + k]), accuracy: 1e-6, "row \(row), class \(k)") }
        }
    }

    func testRefusesToOverwriteTheCheckpoint() throws {
        let path = folder.path("digits.ckpt.h5")
        _ = try TinyModels.digits(checkpoint: path, epochs: 1)
        let checkpoint = try TrainingState.read(from: path)
        XCTAssertThrowsError(try KerasExport.write(checkpoint, checkpointPath: path, to: path)) { error in
            XCTAssertEqual((error as? TrainingError)?.exitStatus, 64)
            XCTAssertTrue("\(error)".contains("is the checkpoint; refusing to overwrite it"), "\(error)")
        }
        XCTAssertThrowsError(try KerasExport.write(checkpoint, checkpointPath: path, to: folder.path("no/such/folder.h5")))
        XCTAssertNoThrow(try TrainingState.read(from: path))
    }

    func testKerasActivationNames() {
        XCTAssertEqual(KerasExport.kerasActivation(.relu), "relu")
        XCTAssertEqual(KerasExport.kerasActivation(.softmax), "softmax")
        XCTAssertEqual(KerasExport.kerasActivation(.identity), "linear")
        XCTAssertEqual(KerasExport.kerasActivation(.silu), "swish")
        XCTAssertEqual(KerasExport.kerasActivation(.elu(alpha: 1)), "elu")
        XCTAssertNil(KerasExport.kerasActivation(.elu(alpha: 0.5)))
        XCTAssertNil(KerasExport.kerasActivation(.logSoftmax))
        XCTAssertNil(KerasExport.kerasActivation(.leakyReLU(slope: 0.01)))
    }

    /// The fixed-length string arrays Keras and h5py use, through the HDF5 wrapper.
    func testStringArrayAttributesRoundTrip() throws {
        let path = try folder.hdf5("strings.h5") { root in
            try root.setAttribute("names", ["a", "longer name", "dense_1/kernel:0"])
            try root.setAttribute("unicode", ["ünï", "x"])
            try root.setAttribute("none", [String]())
            try root.setAttribute("scalar", "one")
        }
        let root = try File.open(path).root
        XCTAssertEqual(try root.stringArrayAttribute("names"), ["a", "longer name", "dense_1/kernel:0"])
        XCTAssertEqual(try root.stringArrayAttribute("unicode"), ["ünï", "x"])
        XCTAssertEqual(try root.stringArrayAttribute("none"), [])
        XCTAssertEqual(try root.stringArrayAttribute("scalar"), ["one"])
        XCTAssertThrowsError(try root.stringAttribute("names"))  // three values, not one
    }
}
