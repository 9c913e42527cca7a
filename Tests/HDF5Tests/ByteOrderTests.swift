import HDF5
@testable import HDF5
import XCTest

/// Datasets stored big-endian in the file (H5T_STD_I32BE, H5T_IEEE_F64BE, …) read correctly.
final class ByteOrderTests: TemporaryFileTestCase {
    func testBigEndianInt32ReadsAsFloat() throws {
        let values: [Int32] = [.min, -65_536, -1, 0, 1, 258, 16_777_216, .max]
        let file = try makeFile()
        let dataset = try file.root.createDataset("be_i32", shape: [2, 4], values: values, byteOrder: .bigEndian)
        XCTAssertEqual(try dataset.storedByteOrder(), .bigEndian)
        XCTAssertEqual(dataset.elementType, .signedInteger(bytes: 4))
        XCTAssertEqual(try dataset.read(Float.self), values.map { Float($0) })
        XCTAssertEqual(try dataset.read(Int32.self, rows: 1..<2), Array(values[4...]))
    }

    func testBigEndianFloat64ReadsAsFloat() throws {
        let values: [Double] = [-1234.5, -1, 0, 0.25, 1.0 / 3.0, 1e20]
        let file = try makeFile()
        let dataset = try file.root.createDataset("be_f64", shape: [3, 2], values: values, byteOrder: .bigEndian)
        XCTAssertEqual(try dataset.storedByteOrder(), .bigEndian)
        XCTAssertEqual(dataset.elementType, .float(bytes: 8))
        XCTAssertEqual(try dataset.read(Float.self), values.map { Float($0) })
        XCTAssertEqual(try dataset.read(Double.self), values)
    }

    func testEveryTypeBigEndianSurvivesReopening() throws {
        let path = temporaryPath()
        do {
            let root = try File.create(path).root
            try root.createDataset("u16", shape: [3], values: [UInt16(0), 258, .max], byteOrder: .bigEndian)
            try root.createDataset("i64", shape: [3], values: [Int64.min, 258, .max], byteOrder: .bigEndian)
            try root.createDataset("f32", shape: [3], values: [Float(-2.5), 0, 1e-3], byteOrder: .bigEndian)
            try root.createDataset("u8le", shape: [2], values: [UInt8(1), 2], byteOrder: .littleEndian)
        }
        let file = try File.open(path)
        XCTAssertEqual(try file.dataset("u16").read(UInt16.self), [0, 258, .max])
        XCTAssertEqual(try file.dataset("u16").read(Float.self), [0, 258, 65_535])
        XCTAssertEqual(try file.dataset("i64").read(Int64.self), [.min, 258, .max])
        XCTAssertEqual(try file.dataset("f32").read(Double.self), [-2.5, 0, Double(Float(1e-3))])
        XCTAssertEqual(try file.dataset("f32").storedByteOrder(), .bigEndian)
        XCTAssertEqual(try file.dataset("u8le").storedByteOrder(), .littleEndian)
    }
}
