import Checkpoint
import DataParallel
import Foundation
import HDF5
import Training
import XCTest

/// The helper itself: it runs the binary built with this test bundle, and its time-out works.
final class CLIRunnerTests: XCTestCase {
    func testRunsTheBinaryBuiltNextToTheTestBundle() throws {
        let executable = try XCTUnwrap(CLI.executable, "h5train not found in \(CLI.candidateFolders.map(\.path))")
        #if os(Linux)
        // On Linux the test bundle is an executable in the products folder, so is h5train.
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().standardizedFileURL
        XCTAssertEqual(executable.deletingLastPathComponent().resolvingSymlinksInPath().path,
                       bundleFolder.resolvingSymlinksInPath().path,
                       "testing an h5train from another build: \(executable.path)")
        #endif
        XCTAssertTrue(FileManager.default.fileExists(atPath: CLI.dataset("digits.h5")), CLI.repositoryRoot.path)
    }

    func testTimeoutStopsTheProcess() throws {
        let folder = try TemporaryDirectory()
        let result = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--hidden", "256", "--epochs", "100000",
                                  "--checkpoint", folder.file("interrupted.h5")],
                                 timeout: 1, failOnTimeout: false)
        XCTAssertTrue(result.timedOut, result.description)
        XCTAssertLessThan(result.seconds, 10, result.description)
        XCTAssertTrue(result.stdout.contains("epoch 1/100000"), result.description)
        // The runner stops it with SIGTERM, which h5train answers like Ctrl-C: save, then exit 130.
        XCTAssertEqual(result.status, 130, result.description)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.file("interrupted.h5")), result.description)
    }
}
