@testable import Data
@testable import DataParallel
import HDF5
@testable import Optimizers
@testable import Training
import XCTest

final class DatasetLoaderTests: XCTestCase {
    private let folder = TemporaryFolder()

    private func load(_ path: String, x: String = "x", y: String = "y", configure: (inout LoaderOptions) -> Void = { _ in }) throws -> LoadedData {
        var options = LoaderOptions(train: DataSource(file: path, x: x, y: y))
        configure(&options)
        return try DatasetLoader.load(options)
    }

    func testIntegerLabelsMeanClassificationAndImagesAreFlattened() throws {
        let path = try folder.hdf5("images.h5") { root in
            _ = try root.createDataset("x", shape: [4, 2, 3], values: (0..<24).map { UInt8($0 * 10) })
            _ = try root.createDataset("y", shape: [4], values: [Int64(0), 2, 1, 2])
        }
        let data = try load(path)
        XCTAssertEqual(data.task, .classification)
        XCTAssertEqual(data.outputSize, 3)
        XCTAssertEqual(data.train.featureCount, 6)
        XCTAssertEqual(data.train.targets, [0, 2, 1, 2])
        // auto: uint8 scaled by 1/255
        XCTAssertEqual(data.normalization, .scale(factor: 1 / 255))
        XCTAssertEqual(data.train.features[23], 230 / 255, accuracy: 1e-6)
        XCTAssertTrue(data.notes.map(\.description).joined().contains("1/255"))
    }

    func testOneHotRowsBecomeClassIds() throws {
        let path = try folder.hdf5("onehot.h5") { root in
            _ = try root.createDataset("x", shape: [3, 1], values: [Float(1), 2, 3])
            _ = try root.createDataset("y", shape: [3, 4], values: [Float(0), 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
        }
        let data = try load(path)
        XCTAssertEqual(data.task, .classification)
        XCTAssertEqual(data.outputSize, 4)
        XCTAssertEqual(data.train.targets, [2, 0, 3])
    }

    func testFloatTargetsMeanRegressionAndStandardizeUsesTrainingStatistics() throws {
        let path = try folder.hdf5("regression.h5") { root in
            _ = try root.createDataset("x", shape: [4, 2], values: [Double(1), 10, 3, 10, 5, 10, 7, 10])
            _ = try root.createDataset("y", shape: [4, 2], values: [Float(0.5), 1, 1.5, 2, 2.5, 3, 3.5, 4])
            _ = try root.createDataset("vx", shape: [1, 2], values: [Double(4), 11])
            _ = try root.createDataset("vy", shape: [1, 2], values: [Float(0), 0])
        }
        let data = try load(path) { options in
            options.normalize = .standardize
            options.validation = DataSource(file: path, x: "vx", y: "vy")
        }
        XCTAssertEqual(data.task, .regression)
        XCTAssertEqual(data.outputSize, 2)
        XCTAssertEqual(data.train.targetWidth, 2)
        // Feature 0: mean 4, population std √5; feature 1 is constant, so std is taken as 1.
        let std = Float(5.0.squareRoot())
        XCTAssertEqual(data.normalization, .standardize(mean: [4, 10], std: [1, 1].enumerated().map { $0.offset == 0 ? std : 1 }))
        XCTAssertEqual(data.train.features[0], -3 / std, accuracy: 1e-6)
        // Validation uses the training statistics, not its own.
        XCTAssertEqual(data.validation?.features ?? [], [0, 1])
    }

    func testValidationSplitIsDisjointSeededAndSized() throws {
        let path = try folder.hdf5("split.h5") { root in
            _ = try root.createDataset("x", shape: [100, 1], values: (0..<100).map(Float.init))
            _ = try root.createDataset("y", shape: [100], values: (0..<100).map { Int32($0 % 2) })
        }
        let a = try load(path) { $0.validationSplit = 0.2; $0.seed = 1 }
        let b = try load(path) { $0.validationSplit = 0.2; $0.seed = 1 }
        let c = try load(path) { $0.validationSplit = 0.2; $0.seed = 2 }
        XCTAssertEqual(a.train.rows, 80)
        XCTAssertEqual(a.validation?.rows, 20)
        XCTAssertEqual(Set(a.train.features).union(a.validation?.features ?? []), Set((0..<100).map(Float.init)))
        XCTAssertEqual(a.validation?.features, b.validation?.features)
        XCTAssertNotEqual(a.validation?.features, c.validation?.features)
    }

    func testBadDataIsRefusedWithMessagesNamingTheDataset() throws {
        let path = try folder.hdf5("bad.h5") { root in
            _ = try root.createDataset("x", shape: [3, 1], values: [Float(1), .nan, 3])
            _ = try root.createDataset("good_x", shape: [3, 1], values: [Float(1), 2, 3])
            _ = try root.createDataset("y", shape: [3], values: [Int64(0), -1, 1])
            _ = try root.createDataset("short_y", shape: [2], values: [Int64(0), 1])
            _ = try root.createDataset("half_y", shape: [3], values: [Float(0), 0.5, 1])
            _ = try root.createDataset("empty", shape: [0, 4], values: [Float]())
        }
        func message(_ x: String, _ y: String, task: TaskKind? = nil) -> String {
            do {
                _ = try load(path, x: x, y: y) { $0.task = task }
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(message("x", "y").contains("x: row 1 holds nan"), message("x", "y"))
        XCTAssertTrue(message("good_x", "y").contains("label -1.0"), message("good_x", "y"))
        XCTAssertTrue(message("good_x", "short_y").contains("has 2 rows but good_x has 3"), message("good_x", "short_y"))
        XCTAssertTrue(message("good_x", "half_y", task: .classification).contains("label 0.5"))
        XCTAssertTrue(message("empty", "y").contains("is empty"), message("empty", "y"))
        XCTAssertTrue(message("missing", "y").contains("x_train") == false && message("missing", "y").contains("good_x"),
                      "a missing dataset lists the ones that exist: \(message("missing", "y"))")
    }
}
