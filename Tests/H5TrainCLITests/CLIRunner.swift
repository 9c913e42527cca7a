import Checkpoint
import DataParallel
import Foundation
import HDF5
import Optimizers
import Training
import XCTest

/// What one run of the `h5train` executable did.
struct CLIResult: CustomStringConvertible {
    var arguments: [String]
    /// Exit status, or the signal number when `terminatedBySignal`.
    var status: Int32
    var terminatedBySignal: Bool
    var timedOut: Bool
    var stdout: String
    var stderr: String
    var seconds: Double

    /// Non-empty lines of standard error.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }
    /// Non-empty lines of standard output.
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }

    var description: String {
        let how = timedOut ? "timed out" : terminatedBySignal ? "killed by signal \(status)" : "exit \(status)"
        return "h5train \(arguments.joined(separator: " ")) → \(how) after \(String(format: "%.2f", seconds)) s\n"
            + "--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)--------------"
    }
}

/// Finds and runs the `h5train` binary that `swift test` built next to the test bundle.
enum CLI {
    /// The package root (…/Tests/H5TrainCLITests/CLIRunner.swift → …).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Absolute path of a bundled dataset, e.g. `dataset("digits.h5")`.
    static func dataset(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("datasets").appendingPathComponent(name).path
    }

    /// Folders where the binary may be, best first.
    static var candidateFolders: [URL] {
        var folders: [URL] = []
        // Linux: the .xctest bundle is a file in the products folder; macOS: a bundle directory there.
        for bundle in [Bundle(for: CLIRunnerAnchor.self), Bundle.main] {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
            folders.append(bundle.bundleURL)
            if let executable = bundle.executableURL { folders.append(executable.deletingLastPathComponent()) }
        }
        if let first = CommandLine.arguments.first {
            folders.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        for scratch in [".build-clitests", ".build"] {
            folders.append(repositoryRoot.appendingPathComponent(scratch).appendingPathComponent("debug"))
        }
        return folders
    }

    /// The `h5train` executable, found once.
    static let executable: URL? = {
        for folder in candidateFolders {
            let candidate = folder.appendingPathComponent("h5train")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate.standardizedFileURL
            }
        }
        return nil
    }()

    /// Runs `h5train` with `arguments` (working directory: the package root), standard output and
    /// error captured through files so a chatty child can never block on a full pipe. Kills the
    /// child after `timeout` seconds. Throws (failing the test) when the binary cannot be found.
    /// A non-empty `launcher` (a program and its arguments) is run instead, with the binary's
    /// path and `arguments` appended, e.g. a shell that lowers a limit and then `exec`s it.
    static func run(_ arguments: [String], timeout: Double = 60, failOnTimeout: Bool = true, launcher: [String] = [],
                    file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        guard let executable else {
            let message = "h5train executable not found; looked in:\n" + candidateFolders.map { "  \($0.path)" }.joined(separator: "\n")
                + "\nBuild it with `swift build --scratch-path .build-clitests` or run `swift test` (the test target depends on H5TrainCLI)."
            XCTFail(message, file: file, line: line)
            throw CLIRunnerError.executableNotFound(message)
        }
        let outputs = try TemporaryDirectory(prefix: "h5train-cli-output")
        let outURL = outputs.url.appendingPathComponent("stdout"), errURL = outputs.url.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = launcher.first.map { URL(fileURLWithPath: $0) } ?? executable
        process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [executable.path] + arguments
        process.currentDirectoryURL = repositoryRoot
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }

        let start = Date()
        try process.run()
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        try outHandle.close()
        try errHandle.close()

        let result = CLIResult(
            arguments: arguments,
            status: process.terminationStatus,
            terminatedBySignal: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
            seconds: seconds)
        if timedOut && failOnTimeout { XCTFail("timed out after \(timeout) s: \(result)", file: file, line: line) }
        return result
    }
}

enum CLIRunnerError: Error {
    case executableNotFound(String)
}

/// A class for `Bundle(for:)` to locate the test bundle.
final class CLIRunnerAnchor {}

/// A fresh folder under the system temporary directory, removed when this object goes away.
final class TemporaryDirectory {
    let url: URL
    var path: String { url.path }

    init(prefix: String = "h5train-cli-tests") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Path of `name` inside this folder (nothing is created).
    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Names of everything in the folder, hidden files included, sorted.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

// MARK: - Assertions shared by the CLI tests

/// Text that means the process crashed rather than reported an error.
let crashMarkers = ["Fatal error", "Stack dump", "Backtrace", "Segmentation fault", "Illegal instruction",
                    "Current stack trace", "precondition failed", "Precondition failed", "💣"]

/// The run ended by itself (no signal, no time-out) and printed no crash report.
func XCTAssertNoCrash(_ result: CLIResult, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(result.timedOut, "timed out: \(result)", file: file, line: line)
    XCTAssertFalse(result.terminatedBySignal, "crashed: \(result)", file: file, line: line)
    for marker in crashMarkers where result.stderr.contains(marker) || result.stdout.contains(marker) {
        XCTFail("output contains the crash marker '\(marker)': \(result)", file: file, line: line)
    }
}

/// Exit status 0, nothing on standard error.
func XCTAssertSuccess(_ result: CLIResult, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertNoCrash(result, file: file, line: line)
    XCTAssertEqual(result.status, 0, "expected success: \(result)", file: file, line: line)
    XCTAssertEqual(result.stderr, "", "expected an empty standard error: \(result)", file: file, line: line)
}

/// `text` with every run of whitespace (including line breaks from help wrapping) made one space.
func collapsingWhitespace(_ text: String) -> String {
    text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
}
