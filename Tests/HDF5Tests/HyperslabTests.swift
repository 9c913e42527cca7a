import HDF5
@testable import HDF5
import XCTest

/// Row ranges (hyperslabs on the first dimension) of multi-dimensional datasets.
final class HyperslabTests: TemporaryFileTestCase {
    /// A (10, 4, 3) dataset whose element at flat index i holds i.
    private func makeCube(in file: File, chunkRows: Int? = nil, gzipLevel: Int? = nil) throws -> Dataset {
        try file.root.createDataset("cube", shape: [10, 4, 3], values: (0..<120).map { Float($0) },
                                    chunkRows: chunkRows, gzipLevel: gzipLevel)
    }

    func testShapeAndRowGeometry() throws {
        let cube = try makeCube(in: try makeFile())
        XCTAssertEqual(cube.shape, [10, 4, 3])
        XCTAssertEqual(cube.rowCount, 10)
        XCTAssertEqual(cube.elementsPerRow, 12)
    }

    func testMiddleRows() throws {
        let cube = try makeCube(in: try makeFile())
        XCTAssertEqual(try cube.read(Float.self, rows: 2..<5), (24..<60).map { Float($0) })
        XCTAssertEqual(try cube.read(Int32.self, rows: 2..<5), (24..<60).map { Int32($0) })
    }

    func testFirstLastAndAllRows() throws {
        let cube = try makeCube(in: try makeFile())
        XCTAssertEqual(try cube.read(Float.self, rows: 0..<1), (0..<12).map { Float($0) })
        XCTAssertEqual(try cube.read(Float.self, rows: 9..<10), (108..<120).map { Float($0) })
        XCTAssertEqual(try cube.read(Float.self), (0..<120).map { Float($0) })
        XCTAssertEqual(try cube.read(Float.self, rows: 4..<4), [])
    }

    func testReadIntoPreallocatedBuffer() throws {
        let cube = try makeCube(in: try makeFile())
        var storage = [Double](repeating: -1, count: 40)
        try storage.withUnsafeMutableBufferPointer { all in
            // Fill the middle of a larger buffer, as a batch loader would.
            let slice = UnsafeMutableBufferPointer(rebasing: all[2..<38])
            try cube.read(rows: 5..<8, into: slice)
        }
        XCTAssertEqual(Array(storage[0..<2]), [-1, -1])
        XCTAssertEqual(Array(storage[2..<38]), (60..<96).map { Double($0) })
        XCTAssertEqual(Array(storage[38...]), [-1, -1])
    }

    func testChunkedGzipDataset() throws {
        let path = temporaryPath()
        do {
            _ = try makeCube(in: try File.create(path), chunkRows: 3, gzipLevel: 6)
        }
        let cube = try File.open(path).dataset("/cube")
        XCTAssertEqual(cube.shape, [10, 4, 3])
        // 4..<9 spans three chunks (3..<6, 6..<9 and part of the first).
        XCTAssertEqual(try cube.read(Float.self, rows: 4..<9), (48..<108).map { Float($0) })
        XCTAssertEqual(try cube.read(UInt8.self), (0..<120).map { UInt8($0) })
    }

    func testGzipWithoutChunkRowsChoosesChunks() throws {
        let file = try makeFile()
        let values = (0..<5000).map { UInt16($0 % 7) }
        let dataset = try file.root.createDataset("z", shape: [1000, 5], values: values, gzipLevel: 9)
        XCTAssertEqual(try dataset.read(UInt16.self, rows: 998..<1000), Array(values[4990...]))
    }

    func testOneDimensionalRows() throws {
        let file = try makeFile()
        let labels = try file.root.createDataset("labels", shape: [6], values: [5, 0, 4, 1, 9, 2] as [UInt8])
        XCTAssertEqual(labels.elementsPerRow, 1)
        XCTAssertEqual(try labels.read(Int.self, rows: 1..<4), [0, 4, 1])
    }
}
