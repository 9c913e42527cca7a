import Foundation
import XCTest
@testable import HDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures become clear `HDF5Error`s, never crashes or HDF5 stack dumps on stderr.
final class ErrorTests: TemporaryFileTestCase {
    func testMissingFile() {
        let path = temporaryPath()
        let error = expectHDF5Error { try File.open(path) }
        XCTAssertEqual(error?.kind, .fileNotFound)
        XCTAssertEqual(error?.path, path)
        XCTAssertTrue(error?.description.contains(path) ?? false, error?.description ?? "")
    }

    func testTextFileIsNotHDF5() throws {
        let path = temporaryPath(extension: "txt")
        try "just some text\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = expectHDF5Error { try File.open(path) }
        XCTAssertEqual(error?.kind, .notHDF5)
        XCTAssertTrue(error?.description.contains("not an HDF5 file") ?? false)
        XCTAssertEqual(expectHDF5Error { try File.open(FileManager.default.temporaryDirectory.path) }?.kind,
                       .notHDF5)
    }

    func testMissingDatasetListsAvailableOnes() throws {
        let path = temporaryPath()
        let root = try File.create(path).root
        try root.createDataset("x_train", shape: [1], values: [Float(1)])
        try root.createDataset("y_train", shape: [1], values: [UInt8(1)])
        let file = try File.open(path)
        let error = expectHDF5Error { try file.dataset("/x") }
        XCTAssertEqual(error?.kind, .datasetNotFound(available: ["/x_train", "/y_train"]))
        XCTAssertEqual(error?.path, "\(path):/x")
        XCTAssertEqual(error?.description,
                       "\(path): no dataset '/x' (datasets in the file: /x_train, /y_train)")
        // A group is not a dataset either.
        try file.createGroup("g").setAttribute("unused", 1)
        XCTAssertEqual(expectHDF5Error { try file.dataset("g") }?.kind,
                       .datasetNotFound(available: ["/x_train", "/y_train"]))
        XCTAssertEqual(expectHDF5Error { try file.dataset("/deeper/still/x") }?.kind,
                       .datasetNotFound(available: ["/x_train", "/y_train"]))
    }

    func testStringDatasetReadAsNumbers() throws {
        let root = try makeFile().root
        let names = try root.createStringDataset("names", values: ["zero", "one"])
        let error = expectHDF5Error { try names.read(Float.self) }
        XCTAssertEqual(error?.kind, .unsupportedType("string"))
        XCTAssertEqual(error?.object, "/names")
        XCTAssertTrue(error?.description.hasSuffix("/names holds strings; expected a numeric dataset") ?? false,
                      error?.description ?? "")
        var buffer = [Float](repeating: 0, count: 1)
        buffer.withUnsafeMutableBufferPointer { pointer in
            XCTAssertEqual(expectHDF5Error { try names.read(rows: 0..<1, into: pointer) }?.kind,
                           .unsupportedType("string"))
        }
    }

    func testRowRangesOutsideTheDataset() throws {
        let dataset = try makeFile().root.createDataset("d", shape: [10, 2], values: (0..<20).map { Float($0) })
        let pastEnd = expectHDF5Error { try dataset.read(Float.self, rows: 8..<12) }
        XCTAssertEqual(pastEnd?.kind, .shapeMismatch)
        XCTAssertTrue(pastEnd?.description.contains("rows 8..<12 are outside the dataset") ?? false)
        XCTAssertEqual(expectHDF5Error { try dataset.read(Float.self, rows: -1..<2) }?.kind, .shapeMismatch)
        XCTAssertEqual(expectHDF5Error { try dataset.read(Float.self, rows: 11..<11) }?.kind, .shapeMismatch)
        XCTAssertEqual(try dataset.read(Float.self, rows: 10..<10), [])
    }

    func testBufferOfTheWrongSize() throws {
        let dataset = try makeFile().root.createDataset("d", shape: [4, 3], values: (0..<12).map { Float($0) })
        var buffer = [Float](repeating: 0, count: 5)
        buffer.withUnsafeMutableBufferPointer { pointer in
            let error = expectHDF5Error { try dataset.read(rows: 0..<2, into: pointer) }
            XCTAssertEqual(error?.kind, .shapeMismatch)
            XCTAssertTrue(error?.detail.contains("which have 6 values") ?? false)
        }
    }

    func testValueCountMustMatchShape() throws {
        let root = try makeFile().root
        let error = expectHDF5Error { try root.createDataset("d", shape: [2, 3], values: [1.0, 2.0]) }
        XCTAssertEqual(error?.kind, .shapeMismatch)
        XCTAssertEqual(error?.description, "\(error?.file ?? ""):/d: shape [2, 3] needs 6 values but 2 were given")
        XCTAssertEqual(expectHDF5Error { try root.createDataset("n", shape: [-1], values: [Float]()) }?.kind,
                       .shapeMismatch)
        XCTAssertEqual(expectHDF5Error {
            try root.createDataset("c", shape: [2], values: [1.0, 2.0], chunkRows: 0)
        }?.kind, .shapeMismatch)
        XCTAssertEqual(expectHDF5Error {
            try root.createDataset("s", shape: [], values: [1.0], gzipLevel: 4)
        }?.kind, .shapeMismatch)
        XCTAssertNotNil(expectHDF5Error { try root.createDataset("z", shape: [1], values: [1.0], gzipLevel: 12) })
        XCTAssertFalse(root.contains("d"))
    }

    func testLibraryErrorsCarryTheCallAndStack() throws {
        let path = temporaryPath()
        _ = try File.create(path)
        let readOnly = try File.open(path)
        let error = expectHDF5Error { try readOnly.root.createDataset("d", shape: [1], values: [1.0]) }
        XCTAssertEqual(error?.kind, .library)
        XCTAssertEqual(error?.call, "H5Dcreate2")
        XCTAssertFalse(error?.detail.isEmpty ?? true)
        XCTAssertTrue(error?.description.hasPrefix("\(path):/d: H5Dcreate2 failed: ") ?? false,
                      error?.description ?? "")
    }

    func testNothingIsPrintedToStandardError() throws {
        let path = temporaryPath()
        let root = try File.create(path).root
        try root.createStringDataset("names", values: ["a"])
        let output = try capturingStandardError {
            _ = try? File.open(temporaryPath())
            _ = try? File.open(path).dataset("/missing")
            _ = try? root.dataset("names").read(Float.self)
            _ = try? root.createStringDataset("names", values: ["again"])  // H5Dcreate2 fails inside HDF5
            _ = try? root.intAttribute("missing")
            _ = root.contains("/no/such/path")
        }
        XCTAssertEqual(output, "")
    }

    /// Runs `body` with file descriptor 2 redirected to a pipe and returns what was written.
    private func capturingStandardError(_ body: () throws -> Void) throws -> String {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw XCTSkip("pipe() failed") }
        let saved = dup(2)
        fflush(nil)
        dup2(fds[1], 2)
        defer { close(saved) }
        do {
            try body()
            fflush(nil)
            dup2(saved, 2)
        } catch {
            dup2(saved, 2)
            throw error
        }
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fds[0], &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        close(fds[0])
        return String(decoding: bytes, as: UTF8.self)
    }
}
