import CHDF5
import Foundation
import XCTest
@testable import HDF5

/// A file damaged on disk makes reads throw an error naming the file, the dataset and the rows
/// being read — never a crash, never wrong values passed off as right.
final class ReadFailureTests: TemporaryFileTestCase {
    /// Writes x (40 × 8 float32, gzip, 10-row chunks) and returns its path and the file offset and
    /// size of chunk `chunk` (rows 10·chunk ..< 10·chunk + 10).
    private func compressedFile(chunk: Int) throws -> (path: String, offset: Int, size: Int) {
        let path = temporaryPath()
        let values = (0..<320).map { Float(sin(Double($0)) * 100) }
        try File.create(path).root.createDataset("x", shape: [40, 8], values: values, chunkRows: 10, gzipLevel: 6)
        let dataset = try File.open(path).dataset("x")
        let space = H5Dget_space(dataset.id)
        defer { H5Sclose(space) }
        var mask: UInt32 = 0, address: haddr_t = 0, size: hsize_t = 0
        var origin = [hsize_t](repeating: 0, count: 2)
        XCTAssertEqual(H5Dget_chunk_info(dataset.id, space, hsize_t(chunk), &origin, &mask, &address, &size), 0)
        XCTAssertEqual(origin, [hsize_t(chunk * 10), 0])
        return (path, Int(address), Int(size))
    }

    /// Replaces `count` bytes in the middle of the range with their complements.
    private func flipBytes(_ path: String, offset: Int, size: Int, count: Int = 8) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let start = offset + size / 2 - count / 2
        for index in start..<(start + count) { bytes[index] = ~bytes[index] }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func testCorruptedGzipChunkThrowsNamingFileDatasetAndRows() throws {
        let (path, offset, size) = try compressedFile(chunk: 2)
        try flipBytes(path, offset: offset, size: size)
        let dataset = try File.open(path).dataset("x")
        let error = expectHDF5Error { try dataset.read(Float.self, rows: 15..<25) }
        XCTAssertEqual(error?.kind, .library)
        XCTAssertEqual(error?.call, "H5Dread")
        let message = error?.description ?? ""
        XCTAssertTrue(message.hasPrefix("\(path):/x: H5Dread failed for rows 15..<25 of 40: "), message)
        XCTAssertFalse(message.contains("\n"), message)
        // The undamaged chunks still read, with their values.
        let expected = (0..<320).map { Float(sin(Double($0)) * 100) }
        XCTAssertEqual(try dataset.read(Float.self, rows: 0..<20), Array(expected[0..<160]))
        XCTAssertEqual(try dataset.read(Float.self, rows: 30..<40), Array(expected[240..<320]))
        // Reading everything names all the rows.
        let whole = expectHDF5Error { try dataset.read(Float.self) }
        XCTAssertTrue(whole?.description.hasPrefix("\(path):/x: H5Dread failed for rows 0..<40 of 40: ") ?? false,
                      whole?.description ?? "")
    }

    /// A file cut short while open (its last chunk gone) fails to read those rows.
    func testFileTruncatedWhileOpenThrowsNamingTheRows() throws {
        let (path, offset, _) = try compressedFile(chunk: 3)
        let dataset = try File.open(path).dataset("x")
        XCTAssertEqual(truncate(path, off_t(offset)), 0)
        let error = expectHDF5Error { try dataset.read(Float.self, rows: 30..<40) }
        XCTAssertTrue(error?.description.hasPrefix("\(path):/x: H5Dread failed for rows 30..<40 of 40: ") ?? false,
                      error?.description ?? "")
    }
}
