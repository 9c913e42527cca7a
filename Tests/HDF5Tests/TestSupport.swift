import Foundation
@testable import HDF5
import HDF5
import XCTest

/// Base class for tests that need scratch HDF5 files: `temporaryPath()` hands out unique
/// paths in the system temporary directory, and every one is deleted after the test.
class TemporaryFileTestCase: XCTestCase {
    private var temporaryPaths: [String] = []

    /// A fresh path like `/tmp/hdf5-tests-<UUID>.h5` that is removed in `tearDown`.
    func temporaryPath(extension fileExtension: String = "h5") -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hdf5-tests-\(UUID().uuidString).\(fileExtension)")
        temporaryPaths.append(url.path)
        return url.path
    }

    /// A new, empty HDF5 file at a temporary path.
    func makeFile() throws -> File {
        try File.create(temporaryPath())
    }

    override func tearDown() {
        for path in temporaryPaths {
            try? FileManager.default.removeItem(atPath: path)
        }
        temporaryPaths.removeAll()
        super.tearDown()
    }
}

/// Runs `body` and returns its result with the `HDF5Error` it threw, failing the test if it
/// threw nothing or something else.
func expectHDF5Error<T>(
    _ body: () throws -> T,
    file: StaticString = #filePath,
    line: UInt = #line
) -> HDF5Error? {
    do {
        let value = try body()
        XCTFail("expected an HDF5Error, got \(value)", file: file, line: line)
    } catch let error as HDF5Error {
        return error
    } catch {
        XCTFail("expected an HDF5Error, got \(error)", file: file, line: line)
    }
    return nil
}
