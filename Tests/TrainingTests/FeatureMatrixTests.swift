@testable import Data
import DataParallel
import HDF5
import NeuralNet
import Optimizers
@testable import Training
import XCTest

/// Features kept in their stored type must reach the network as exactly the Float32 values that
/// converting the whole dataset at load (HDF5's conversion) and normalising it in place gave.
final class FeatureMatrixTests: XCTestCase {
    private let folder = TemporaryFolder()
    private let rows = 300, features = 13

    /// A file with x of `values` (rows × features) and y of class ids 0…2.
    private func file<T: HDF5Scalar>(_ name: String, _ values: [T]) throws -> String {
        try folder.hdf5(name) { root in
            _ = try root.createDataset("x", shape: [rows, features], values: values)
            _ = try root.createDataset("y", shape: [rows], values: (0..<rows).map { Int64($0 % 3) })
        }
    }

    /// The old path: x read as Float32 by HDF5, normalisation fitted on it and applied in place.
    private func reference(_ path: String, _ request: Normalization.Request) throws -> (features: [Float], normalization: Normalization) {
        let file = try File.open(path)
        let dataset = try file.dataset("x")
        var values = try dataset.read(Float.self)
        let normalization = Normalization.fit(request, features: values, featureCount: features,
                                              unsignedMaximum: dataset.elementType.unsignedMaximum)
        normalization.apply(to: &values, featureCount: features)
        return (values, normalization)
    }

    private func load(_ path: String, _ request: Normalization.Request) throws -> LoadedData {
        var options = LoaderOptions(train: DataSource(file: path, x: "x", y: "y"))
        options.normalize = request
        return try DatasetLoader.load(options)
    }

    /// Gathers `order` through the step's view and compares every value's bits with the reference.
    private func assertGatheredRowsMatch(_ path: String, _ request: Normalization.Request, line: UInt = #line) throws {
        let data = try load(path, request)
        let expected = try reference(path, request)
        XCTAssertEqual(data.normalization, expected.normalization, line: line)
        var order = (0..<Int32(rows)).map { $0 }
        var rng = Xoshiro256(seed: 5)
        rng.shuffle(&order)
        var gathered = [Float](repeating: .nan, count: rows * features)
        data.train.matrix.withRows { view in
            order.withUnsafeBufferPointer { view.copyRows($0, into: &gathered) }
        }
        for (r, sample) in order.enumerated() {
            for j in 0..<features {
                let (got, want) = (gathered[r * features + j], expected.features[Int(sample) * features + j])
                guard got.bitPattern == want.bitPattern else {
                    return XCTFail("row \(sample) feature \(j): \(got) ≠ \(want) (\(request))", line: line)
                }
            }
        }
        // Single values (the fingerprint's) and consecutive rows (evaluation's) agree as well.
        XCTAssertEqual(data.train.features.map(\.bitPattern), expected.features.map(\.bitPattern), line: line)
        let oldFingerprint = DataFingerprint(SampleSet(features: expected.features, targets: data.train.targets,
                                                       featureCount: features, targetWidth: 1))
        XCTAssertEqual(DataFingerprint(data.train), oldFingerprint, line: line)
    }

    func testUInt8FeaturesStayBytesAndGatherAsTheOldNormalisedValues() throws {
        var rng = Xoshiro256(seed: 1)
        let path = try file("u8.h5", (0..<(rows * features)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        let data = try load(path, .auto)
        guard case .uint8 = data.train.matrix.storage else { return XCTFail("uint8 features were converted at load") }
        XCTAssertEqual(data.train.matrix.byteCount, rows * features)
        for request in [Normalization.Request.auto, .none, .scale, .standardize] {
            try assertGatheredRowsMatch(path, request)
        }
    }

    func testFloat64FeaturesStayDoublesAndRoundAsHDF5Did() throws {
        var rng = Xoshiro256(seed: 2)
        // Full 52-bit mantissas, so every value is rounded on its way to Float32.
        let values = (0..<(rows * features)).map { i in rng.nextStandardNormal() * Double(1 + i % 7) * 1e3 + 1e-9 }
        let path = try file("f64.h5", values)
        guard case .float64 = try load(path, .none).train.matrix.storage else { return XCTFail("float64 features were converted at load") }
        for request in [Normalization.Request.none, .scale, .standardize] {
            try assertGatheredRowsMatch(path, request)
        }
    }

    func testOtherTypesAreConvertedAtLoadAsBefore() throws {
        let path = try file("u16.h5", (0..<(rows * features)).map { UInt16(($0 * 977) % 65536) })
        guard case .float32 = try load(path, .auto).train.matrix.storage else { return XCTFail("uint16 should load as float32") }
        try assertGatheredRowsMatch(path, .auto)
        try assertGatheredRowsMatch(path, .standardize)
    }

    func testEvaluationOfCompactFeaturesEqualsEvaluationOfConvertedOnes() throws {
        var rng = Xoshiro256(seed: 3)
        let path = try file("eval.h5", (0..<(rows * features)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        let data = try load(path, .standardize)
        let converted = SampleSet(features: data.train.features, targets: data.train.targets, featureCount: features, targetWidth: 1)
        let architecture = NetworkArchitecture(inputs: features, hidden: [8], hiddenActivation: .relu,
                                               outputs: 3, outputActivation: .softmax)
        let parameters = architecture.initialParameters(initializers: [.heNormal, .glorotUniform], seed: 4)
        for workers in [1, 2] {
            let predictor = Predictor(architecture: architecture, loss: .softmaxCrossEntropy, parameters: parameters, workers: workers)
            let compact = Evaluation(predictor: predictor, samples: data.train)
            XCTAssertEqual(compact, Evaluation(predictor: predictor, samples: converted))
            XCTAssertEqual(compact.rows, rows)
        }
    }

    func testFloat64BeyondFloat32IsRejectedNamingTheRow() throws {
        var values = [Double](repeating: 1, count: rows * features)
        values[5 * features + 2] = 1e300
        let path = try file("huge.h5", values)
        XCTAssertThrowsError(try load(path, .none)) { error in
            XCTAssertTrue("\(error)".contains("row 5 holds inf"), "\(error)")
        }
    }

    func testMemoryCheckCountsTheStoredTypesBytes() {
        let rows = MemoryBudget.available / 48  // 8 values a row: fits as float32 (32 bytes), not as float64 (64)
        XCTAssertNoThrow(try MemoryBudget.checkDataset(shape: [rows, 8], file: "big.h5", dataset: "x"))
        XCTAssertThrowsError(try MemoryBudget.checkDataset(shape: [rows, 8], as: ("float64", 8), file: "big.h5", dataset: "x")) { error in
            XCTAssertTrue("\(error)".contains("as float64"), "\(error)")
        }
    }
}
