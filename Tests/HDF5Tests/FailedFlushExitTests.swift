import CHDF5
import Foundation
import XCTest
@testable import HDF5
#if canImport(Glibc)
import Glibc
#endif

/// A file opened for writing whose flush fails (here: past the file-size limit) must not crash
/// the process when it exits. HDF5 1.10 frees such a file on a failed close but keeps its
/// identifier, and its exit handler then crashes; the module leaves the file open instead and
/// skips HDF5's termination. A crash at exit can only be seen from outside, so the test runs
/// itself again in a child process, which does the failing write and exits.
final class FailedFlushExitTests: TemporaryFileTestCase {
    private static let childVariable = "H5TRAIN_TEST_FAILED_FLUSH_FILE"

    func testFailedFlushOfAFileOpenedForWritingExitsCleanly() throws {
        if let path = ProcessInfo.processInfo.environment[Self.childVariable] {
            try failFlush(path)
            return
        }
        #if os(Linux)
        let path = temporaryPath()
        try File.create(path).root.createDataset("small", shape: [4], values: [1.0, 2, 3, 4])
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let result = try runChild(path: path, sizeLimit: size + 4096)
        XCTAssertFalse(result.signalled, "the child crashed with signal \(result.status):\n\(result.output)")
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("Executed 1 test, with 0 failures"), result.output)
        #else
        throw XCTSkip("runs the test bundle as a Linux executable")
        #endif
    }

    /// In the child: writes far past the file-size limit (SIGXFSZ ignored, so writes fail with
    /// EFBIG) into a file opened read-write, then lets everything be released.
    private func failFlush(_ path: String) throws {
        do {
            let file = try File.open(path, mode: .readWrite)
            let values = [Double](repeating: 0.5, count: 100_000)
            let error = expectHDF5Error { try file.root.createDataset("big", shape: [values.count], values: values) }
            XCTAssertTrue(error?.description.contains("File too large") ?? false, error?.description ?? "")
        }
        XCTAssertTrue(hasFailedClose, "the file could not be flushed, so it is left open")
    }

    /// Runs this test alone in a new process of the test bundle, under a file-size limit.
    private func runChild(path: String, sizeLimit: Int) throws -> (status: Int32, signalled: Bool, output: String) {
        let bundle = CommandLine.arguments[0]
        let test = "HDF5Tests.FailedFlushExitTests/testFailedFlushOfAFileOpenedForWritingExitsCleanly"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f \(sizeLimit / 512 + 1) && exec \"$0\" \"$@\"", bundle, test]
        process.environment = ProcessInfo.processInfo.environment.merging([Self.childVariable: path]) { $1 }
        let output = temporaryPath(extension: "log")
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, text)
    }
}
