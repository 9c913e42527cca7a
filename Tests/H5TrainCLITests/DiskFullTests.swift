import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Writes that fail half way — a full disk, a file-size limit — end with one clear error line and
/// a clean exit, never a crash while HDF5 tidies up at exit (HDF5 1.10 crashes there if a file it
/// failed to flush is still registered). A crash at exit can only be seen from outside, so these
/// run the binary.
final class DiskFullTests: XCTestCase {
    private var folder: TemporaryDirectory!

    override func setUpWithError() throws {
        folder = try TemporaryDirectory()
    }

    override func tearDown() {
        folder = nil
    }

    /// Trains 64→256→10 on digits for one epoch with SGD momentum: its checkpoint holds 2 × 19,210
    /// float32 values (about 154 kB), its Keras export about 77 kB.
    private func trainArguments(checkpoint: String) -> [String] {
        ["train", "--data", CLI.dataset("digits.h5"), "--hidden", "256", "--epochs", "1", "--seed", "1",
         "--checkpoint", checkpoint, "--quiet"]
    }

    /// Asserts a clean failure: exit status 1, no signal, exactly one line on standard error,
    /// starting with `prefix` and ending with `reason`, and nothing left in `folder` but `kept`.
    private func assertCleanFailure(_ result: CLIResult, prefix: String, reason: String, in folder: String,
                                    kept: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertNoCrash(result, file: file, line: line)
        XCTAssertEqual(result.status, 1, "\(result)", file: file, line: line)
        XCTAssertEqual(result.stderrLines.count, 1, "\(result)", file: file, line: line)
        let message = result.stderrLines.first ?? ""
        XCTAssertTrue(message.hasPrefix(prefix), "'\(message)' should start with '\(prefix)'", file: file, line: line)
        XCTAssertTrue(message.hasSuffix(reason), "'\(message)' should end with '\(reason)'", file: file, line: line)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), kept.sorted(),
                       "the temporary file must be removed", file: file, line: line)
    }

    /// A shell that ignores SIGXFSZ and limits files to `blocks` × 512 bytes, then runs the binary:
    /// writes past the limit fail with EFBIG ("File too large"). Works without privileges.
    private func fileSizeLimit(blocks: Int) -> [String] {
        ["/bin/sh", "-c", "trap '' XFSZ; ulimit -f \(blocks) && exec \"$0\" \"$@\""]
    }

    func testCheckpointPastFileSizeLimitFailsCleanly() throws {
        let checkpoint = folder.file("run.ckpt.h5")
        let result = try CLI.run(trainArguments(checkpoint: checkpoint), launcher: fileSizeLimit(blocks: 128))
        try assertCleanFailure(result, prefix: "h5train: error: checkpoint \(checkpoint): cannot write: ",
                               reason: "write failed: File too large", in: folder.path)
    }

    func testExportPastFileSizeLimitFailsCleanly() throws {
        let checkpoint = folder.file("run.ckpt.h5")
        XCTAssertSuccess(try CLI.run(trainArguments(checkpoint: checkpoint)))
        let exported = folder.file("keras.h5")
        let result = try CLI.run(["export", "--keras", checkpoint, exported], launcher: fileSizeLimit(blocks: 64))
        try assertCleanFailure(result, prefix: "h5train: error: \(exported): cannot write: ",
                               reason: "write failed: File too large", in: folder.path, kept: ["run.ckpt.h5"])
    }

    func testCheckpointOnFullTmpfsFailsCleanly() throws {
        let disk = try SmallDisk(kilobytes: 64, in: folder)
        let checkpoint = disk.path + "/run.ckpt.h5"
        let result = try CLI.run(trainArguments(checkpoint: checkpoint))
        try assertCleanFailure(result, prefix: "h5train: error: checkpoint \(checkpoint): cannot write: ",
                               reason: "write failed: No space left on device", in: disk.path)
    }

    func testExportOnFullTmpfsFailsCleanly() throws {
        let checkpoint = folder.file("run.ckpt.h5")
        XCTAssertSuccess(try CLI.run(trainArguments(checkpoint: checkpoint)))
        let disk = try SmallDisk(kilobytes: 64, in: folder)
        let exported = disk.path + "/keras.h5"
        let result = try CLI.run(["export", "--keras", checkpoint, exported])
        try assertCleanFailure(result, prefix: "h5train: error: \(exported): cannot write: ",
                               reason: "write failed: No space left on device", in: disk.path)
    }

    /// The disk is full before the run starts: creating the checkpoint's temporary file works
    /// (tmpfs needs no space for an empty file), writing it does not.
    func testCheckpointOnAlreadyFullTmpfsFailsCleanly() throws {
        let disk = try SmallDisk(kilobytes: 64, in: folder)
        try disk.fill()
        let checkpoint = disk.path + "/run.ckpt.h5"
        let result = try CLI.run(trainArguments(checkpoint: checkpoint))
        try assertCleanFailure(result, prefix: "h5train: error: checkpoint \(checkpoint): cannot write: ",
                               reason: "write failed: No space left on device", in: disk.path, kept: ["filler"])
    }
}

/// A tmpfs of a few kilobytes mounted in a fresh folder, unmounted when released. Skips the test
/// unless running as root with permission to mount.
final class SmallDisk {
    let path: String

    init(kilobytes: Int, in folder: TemporaryDirectory) throws {
        #if os(Linux)
        guard geteuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root; the file-size-limit tests cover the rest") }
        path = folder.file("small-disk")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (mount exited with \(mount.terminationStatus)), e.g. in a container without CAP_SYS_ADMIN")
        }
        #else
        throw XCTSkip("small tmpfs disks are only made on Linux")
        #endif
    }

    /// Fills the disk with a file called `filler` until writing fails.
    func fill() throws {
        let filler = path + "/filler"
        XCTAssertTrue(FileManager.default.createFile(atPath: filler, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: filler))
        defer { try? handle.close() }
        let block = Data(repeating: 0x5A, count: 4096)
        while (try? handle.write(contentsOf: block)) != nil {}
    }

    deinit {
        #if os(Linux)
        umount2(path, 0)
        #endif
    }
}
