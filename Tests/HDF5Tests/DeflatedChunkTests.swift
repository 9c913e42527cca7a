import CHDF5
import Foundation
import XCTest
@testable import HDF5

/// Rows in whole gzip chunks are read as stored and inflated with libdeflate; the values are the
/// ones written, exactly as H5Dread gives them, and anything else still goes through H5Dread.
final class DeflatedChunkTests: TemporaryFileTestCase {
    /// 95 rows of 4 × 3 values in 10-row chunks: the last chunk holds 5 rows.
    private let shape = [95, 4, 3]

    private func values<T: FixedWidthInteger>(_: T.Type) -> [T] {
        // Runs of repeated values (compressible) mixed with a scrambled sequence (not).
        (0..<(95 * 12)).map { T(truncatingIfNeeded: $0 % 7 == 0 ? 42 : ($0 &* 2_654_435_761) >> 7) }
    }

    /// Writes "x" (UInt16) through the C API with the filters given, so that each pipeline is covered.
    private func uint16File(shuffle: Bool, dontFilterPartialChunks: Bool = false) throws -> String {
        let path = temporaryPath()
        let file = H5Fcreate(path, h5shim_f_acc_trunc(), h5shim_p_default(), h5shim_p_default())
        defer { H5Fclose(file) }
        let dims = shape.map { hsize_t($0) }, chunk: [hsize_t] = [10, 4, 3]
        let space = H5Screate_simple(3, dims, nil)
        defer { H5Sclose(space) }
        let creation = H5Pcreate(h5shim_p_dataset_create())
        defer { H5Pclose(creation) }
        XCTAssertGreaterThanOrEqual(H5Pset_chunk(creation, 3, chunk), 0)
        if shuffle { XCTAssertGreaterThanOrEqual(H5Pset_shuffle(creation), 0) }
        XCTAssertGreaterThanOrEqual(H5Pset_deflate(creation, 6), 0)
        if dontFilterPartialChunks {
            XCTAssertGreaterThanOrEqual(H5Pset_chunk_opts(creation, UInt32(H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS)), 0)
        }
        let dataset = H5Dcreate2(file, "x", h5shim_std_u16le(), space, h5shim_p_default(), creation, h5shim_p_default())
        defer { H5Dclose(dataset) }
        XCTAssertGreaterThanOrEqual(H5Dwrite(dataset, h5shim_native_uint16(), h5shim_s_all(), h5shim_s_all(),
                                             h5shim_p_default(), values(UInt16.self)), 0)
        return path
    }

    /// Reads `rows` through the chunk path alone; nil when it declined them.
    private func chunkRead<T: HDF5Scalar>(_ dataset: Dataset, _: T.Type, rows: Range<Int>) throws -> [T]? {
        let layout = try XCTUnwrap(dataset.deflatedChunkLayout(memoryType: T.nativeTypeID(dataset.context)))
        let count = rows.count * dataset.elementsPerRow
        var values = [T](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
        let read = values.withUnsafeMutableBytes { dataset.readDeflatedChunks(rows: rows, into: $0.baseAddress!, layout) }
        return read ? values : nil
    }

    func testShuffledAndUnshuffledChunksInflateToTheValuesWritten() throws {
        let expected = values(UInt16.self)
        for shuffle in [false, true] {
            let dataset = try File.open(try uint16File(shuffle: shuffle)).dataset("x")
            let layout = try XCTUnwrap(dataset.deflatedChunkLayout(memoryType: h5shim_native_uint16()))
            XCTAssertEqual(layout.chunkRows, 10)
            XCTAssertEqual(layout.rowBytes, 24)
            XCTAssertEqual(layout.shuffleBytes, shuffle ? 2 : nil)
            XCTAssertEqual(try chunkRead(dataset, UInt16.self, rows: 0..<95), expected, "shuffle \(shuffle)")
            XCTAssertEqual(try chunkRead(dataset, UInt16.self, rows: 20..<40), Array(expected[240..<480]))
            XCTAssertEqual(try chunkRead(dataset, UInt16.self, rows: 90..<95), Array(expected[1080..<1140]), "the partial last chunk")
            // Through the public read, aligned or not, the same values.
            XCTAssertEqual(try dataset.read(UInt16.self), expected)
            XCTAssertEqual(try dataset.read(UInt16.self, rows: 15..<95), Array(expected[180...]))
        }
    }

    func testUInt8ChunksWrittenByTheWrapperInflateInPlace() throws {
        let path = temporaryPath(), expected = values(UInt8.self)
        try File.create(path).root.createDataset("x", shape: shape, values: expected, chunkRows: 10, gzipLevel: 4)
        let dataset = try File.open(path).dataset("x")
        let layout = try XCTUnwrap(dataset.deflatedChunkLayout(memoryType: h5shim_native_uint8()))
        XCTAssertNil(layout.shuffleBytes, "shuffling bytes one wide changes nothing")
        XCTAssertEqual(try chunkRead(dataset, UInt8.self, rows: 0..<95), expected)
        XCTAssertEqual(try chunkRead(dataset, UInt8.self, rows: 80..<95), Array(expected[960...]))
    }

    func testFloatChunksShuffledByTheWrapperInflateToTheValuesWritten() throws {
        let path = temporaryPath(), expected = (0..<(95 * 12)).map { Float(sin(Double($0)) * 100) }
        try File.create(path).root.createDataset("x", shape: shape, values: expected, chunkRows: 10, gzipLevel: 6)
        let dataset = try File.open(path).dataset("x")
        XCTAssertEqual(try dataset.deflatedChunkLayout(memoryType: h5shim_native_float())?.shuffleBytes, 4)
        XCTAssertEqual(try chunkRead(dataset, Float.self, rows: 0..<95)?.map(\.bitPattern), expected.map(\.bitPattern))
    }

    func testRowsOffChunkBoundariesAndUnfilteredEdgeChunksAreLeftToH5Dread() throws {
        let dataset = try File.open(try uint16File(shuffle: true)).dataset("x")
        XCTAssertNil(try chunkRead(dataset, UInt16.self, rows: 5..<20))
        XCTAssertNil(try chunkRead(dataset, UInt16.self, rows: 10..<25))
        let unfiltered = try File.open(try uint16File(shuffle: true, dontFilterPartialChunks: true)).dataset("x")
        XCTAssertNil(try chunkRead(unfiltered, UInt16.self, rows: 80..<95), "the edge chunk is stored as it is")
        XCTAssertEqual(try chunkRead(unfiltered, UInt16.self, rows: 80..<90), Array(values(UInt16.self)[960..<1080]))
        XCTAssertEqual(try unfiltered.read(UInt16.self), values(UInt16.self))
    }

    func testOtherLayoutsTypesAndByteOrdersAreLeftToH5Dread() throws {
        let path = temporaryPath(), expected = values(UInt16.self)
        let root = try File.create(path).root
        try root.createDataset("plain", shape: shape, values: expected, chunkRows: 10, gzipLevel: nil)
        try root.createDataset("contiguous", shape: shape, values: expected, chunkRows: nil, gzipLevel: nil)
        try root.createDataset("big", shape: shape, values: expected, chunkRows: 10, gzipLevel: 4, byteOrder: .bigEndian)
        let file = try File.open(path)
        for name in ["plain", "contiguous", "big"] {
            XCTAssertNil(try file.dataset(name).deflatedChunkLayout(memoryType: h5shim_native_uint16()), name)
            XCTAssertEqual(try file.dataset(name).read(UInt16.self, rows: 10..<95), Array(expected[120...]), name)
        }
        let converted = try File.open(try uint16File(shuffle: true)).dataset("x")
        XCTAssertNil(try converted.deflatedChunkLayout(memoryType: h5shim_native_float()), "a conversion to Float")
        XCTAssertEqual(try converted.read(Float.self, rows: 0..<95), expected.map { Float($0) })
    }

    func testADamagedChunkIsLeftToH5DreadToReport() throws {
        let path = try uint16File(shuffle: true)
        let dataset = try File.open(path).dataset("x")
        let space = H5Dget_space(dataset.id)
        defer { H5Sclose(space) }
        var mask: UInt32 = 0, address: haddr_t = 0, size: hsize_t = 0
        var origin = [hsize_t](repeating: 0, count: 3)
        XCTAssertEqual(H5Dget_chunk_info(dataset.id, space, 3, &origin, &mask, &address, &size), 0)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(address) + UInt64(size) / 2)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 8))
        try handle.close()
        let damaged = try File.open(path).dataset("x")
        XCTAssertNil(try chunkRead(damaged, UInt16.self, rows: 30..<40))
        XCTAssertEqual(try chunkRead(damaged, UInt16.self, rows: 40..<95), Array(values(UInt16.self)[480...]))
        let error = expectHDF5Error { try damaged.read(UInt16.self, rows: 20..<40) }
        XCTAssertEqual(error?.call, "H5Dread")
        XCTAssertTrue(error?.description.hasPrefix("\(path):/x: H5Dread failed for rows 20..<40 of 95: ") ?? false,
                      error?.description ?? "")
    }
}
