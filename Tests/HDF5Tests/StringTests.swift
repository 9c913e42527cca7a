import HDF5
@testable import HDF5
import XCTest

/// String datasets.
final class StringTests: TemporaryFileTestCase {
    func testVariableLengthStringsRoundTrip() throws {
        let path = temporaryPath()
        let values = ["zero", "", "ünïcödé ✓", String(repeating: "long ", count: 100)]
        do {
            try File.create(path).root.createStringDataset("names", values: values)
        }
        let names = try File.open(path).dataset("names")
        XCTAssertEqual(names.elementType, .string)
        XCTAssertFalse(names.elementType.isNumeric)
        XCTAssertEqual(names.shape, [4])
        XCTAssertEqual(try names.readStrings(), values)
    }

    func testEmptyStringDataset() throws {
        let names = try makeFile().root.createStringDataset("none", values: [])
        XCTAssertEqual(names.shape, [0])
        XCTAssertEqual(try names.readStrings(), [])
    }

    func testReadStringsOfANumericDatasetThrows() throws {
        let numbers = try makeFile().root.createDataset("n", shape: [1], values: [Int32(1)])
        let error = expectHDF5Error { try numbers.readStrings() }
        XCTAssertEqual(error?.kind, .unsupportedType("int32"))
        XCTAssertTrue(error?.description.contains("holds int32 values; expected a string dataset") ?? false)
    }
}
