@testable import Data
import Foundation
import HDF5
import Settings
import XCTest

/// `DataShape`: what `explain` learns from a data file without loading it.
final class DataShapeTests: XCTestCase {
    func testDataShapeOfTheBundledDigits() throws {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.validationSplit = 0.2
        let shape = try DataShape.read(options)
        XCTAssertEqual(shape.inputs, 64)
        XCTAssertEqual(shape.outputs, 10)
        XCTAssertEqual(shape.task, .classification)
        XCTAssertEqual(shape.trainingRows, 1437 - 288)  // ⌈0.2 · 1437⌉ held out
    }

    func testDataShapeNamesAMissingDataset() {
        let options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "nope", y: "y_train"))
        XCTAssertThrowsError(try DataShape.read(options)) { error in
            XCTAssertTrue("\(error)".contains("nope"), "\(error)")
        }
    }
}
