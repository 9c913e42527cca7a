import HDF5
@testable import HDF5
import XCTest

/// Every numeric type is written and read back exactly, and read converted to Float.
final class RoundTripTests: TemporaryFileTestCase {
    /// Writes `values` as a 1-D dataset, reads them back as `T` (exact) and as `Float`
    /// (compared with Swift's own conversion), and checks the stored element type.
    private func checkRoundTrip<T: HDF5Scalar & Equatable & BinaryInteger>(
        _ values: [T], line: UInt = #line
    ) throws {
        try checkRoundTrip(values, asFloat: values.map { Float($0) }, line: line)
    }

    private func checkRoundTrip<T: HDF5Scalar & Equatable>(
        _ values: [T], asFloat expected: [Float], line: UInt = #line
    ) throws {
        let file = try makeFile()
        let root = try file.root
        try root.createDataset("values", shape: [values.count], values: values)
        let dataset = try file.dataset("/values")
        XCTAssertEqual(dataset.shape, [values.count], line: line)
        XCTAssertEqual(dataset.elementType, T.nativeType, line: line)
        XCTAssertEqual(try dataset.read(T.self), values, "\(T.self) round trip", line: line)
        XCTAssertEqual(try dataset.read(Float.self), expected, "\(T.self) read as Float", line: line)
    }

    func testInt8() throws { try checkRoundTrip([Int8.min, -100, -1, 0, 1, 100, .max]) }
    func testInt16() throws { try checkRoundTrip([Int16.min, -300, -1, 0, 1, 300, .max]) }
    func testInt32() throws { try checkRoundTrip([Int32.min, -70_000, -1, 0, 1, 70_000, .max]) }
    func testInt64() throws { try checkRoundTrip([Int64.min, -5_000_000_000, -1, 0, 1, 5_000_000_000, .max]) }
    func testUInt8() throws { try checkRoundTrip([UInt8.min, 1, 128, .max]) }
    func testUInt16() throws { try checkRoundTrip([UInt16.min, 1, 40_000, .max]) }
    func testUInt32() throws { try checkRoundTrip([UInt32.min, 1, 3_000_000_000, .max]) }
    func testUInt64() throws { try checkRoundTrip([UInt64.min, 1, 10_000_000_000_000_000_000, .max]) }
    func testInt() throws { try checkRoundTrip([Int.min, -42, 0, 42, .max]) }

    func testFloat() throws {
        let values: [Float] = [-.greatestFiniteMagnitude, -1.5, -0.0, 0, .leastNonzeroMagnitude, 0.1, 3.25,
                               .greatestFiniteMagnitude, .infinity, -.infinity]
        try checkRoundTrip(values, asFloat: values)
    }

    func testDouble() throws {
        let values: [Double] = [-1.0e30, -2.5, 0, 1.0 / 3.0, 0.1, 65_504, 1.0e30]
        try checkRoundTrip(values, asFloat: values.map { Float($0) })
    }

    func testDoubleExtremesRoundTripExactly() throws {
        let values: [Double] = [-.greatestFiniteMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                                .greatestFiniteMagnitude, .pi]
        let file = try makeFile()
        let dataset = try file.root.createDataset("d", shape: [values.count], values: values)
        XCTAssertEqual(try dataset.read(Double.self), values)
    }

    func testIntegersReadAsDoubleAndNarrowerIntegers() throws {
        let file = try makeFile()
        let dataset = try file.root.createDataset("i", shape: [4], values: [Int32(-7), 0, 255, 1_000_000])
        XCTAssertEqual(try dataset.read(Double.self), [-7, 0, 255, 1_000_000])
        XCTAssertEqual(try dataset.read(Int64.self), [-7, 0, 255, 1_000_000])
    }

    func testScalarDataset() throws {
        let file = try makeFile()
        let dataset = try file.root.createDataset("answer", shape: [], values: [42.5])
        XCTAssertEqual(dataset.shape, [])
        XCTAssertEqual(dataset.rowCount, 1)
        XCTAssertEqual(dataset.elementsPerRow, 1)
        XCTAssertEqual(try dataset.read(Float.self), [42.5])
        XCTAssertEqual(try dataset.read(Float.self, rows: 0..<1), [42.5])
    }

    func testEmptyDataset() throws {
        let file = try makeFile()
        let dataset = try file.root.createDataset("empty", shape: [0, 3], values: [Float]())
        XCTAssertEqual(dataset.shape, [0, 3])
        XCTAssertEqual(dataset.rowCount, 0)
        XCTAssertEqual(try dataset.read(Float.self), [])
    }

    func testDataSurvivesReopening() throws {
        let path = temporaryPath()
        do {
            let file = try File.create(path)
            try file.root.createDataset("x", shape: [2, 2], values: [1, 2, 3, 4] as [Int16])
            try file.flush()
        }
        let reopened = try File.open(path)
        let dataset = try reopened.dataset("x")
        XCTAssertEqual(dataset.path, "/x")
        XCTAssertEqual(try dataset.read(Int16.self), [1, 2, 3, 4])
    }

    func testElementTypeProperties() {
        XCTAssertEqual(ElementType.unsignedInteger(bytes: 1).unsignedMaximum, 255)
        XCTAssertEqual(ElementType.unsignedInteger(bytes: 2).unsignedMaximum, 65_535)
        XCTAssertEqual(ElementType.unsignedInteger(bytes: 4).unsignedMaximum, 4_294_967_295)
        XCTAssertEqual(ElementType.unsignedInteger(bytes: 8).unsignedMaximum, Double(UInt64.max))
        XCTAssertNil(ElementType.signedInteger(bytes: 1).unsignedMaximum)
        XCTAssertNil(ElementType.float(bytes: 4).unsignedMaximum)
        XCTAssertTrue(ElementType.float(bytes: 8).isNumeric)
        XCTAssertTrue(ElementType.signedInteger(bytes: 2).isNumeric)
        XCTAssertFalse(ElementType.string.isNumeric)
        XCTAssertFalse(ElementType.compound.isNumeric)
        XCTAssertEqual(ElementType.unsignedInteger(bytes: 1).description, "uint8")
        XCTAssertEqual(ElementType.float(bytes: 8).description, "float64")
    }
}
