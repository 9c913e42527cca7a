import DataParallel
import Foundation
import NeuralNet
import Settings

/// Replaces files whole or not at all, and durably: the one place h5train writes a temporary file and
/// renames it over its target (checkpoints, prediction and export files, metrics, curves, plots).
///
/// A write goes to `.NAME.PID.tmp` beside `NAME`, which is then flushed to the disk (`fsync`),
/// renamed over `NAME`, and the folder is flushed too, so that after a power loss or an OS crash the
/// folder holds either the old file or the whole new one. A process killed mid-write leaves its
/// temporary file behind; the next write of the same target, and the start-up check of a run,
/// remove such files once the process that made them no longer exists (never a live one's).
public enum AtomicFile {
    /// Why a file could not be written or replaced; the text is a sentence fragment without the path.
    public enum Failure: Error, CustomStringConvertible {
        /// The new contents could not be written to the temporary file.
        case write(String)
        /// The temporary file could not be flushed or renamed over the target.
        case replace(String)
        /// The target cannot be written at all (start-up check).
        case unwritable(String)

        public var description: String {
            switch self {
            case .write(let reason): "cannot write: \(reason)"
            case .replace(let reason): "cannot replace the file: \(reason)"
            case .unwritable(let reason): reason
            }
        }
    }

    /// `.NAME.PID.tmp` in the folder of `path`.
    public static func temporaryPath(for path: String, processID: Int32 = getpid()) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(processID).tmp").path
    }

    /// Lets `fill` write the new contents to the temporary path (and close it), then flushes and
    /// renames it over `path` and flushes the folder. On any failure the temporary file is removed
    /// and `path` is left as it was.
    public static func write<E: Error>(to path: String, _ fill: (_ temporaryPath: String) throws(E) -> Void) throws(Failure) {
        removeStaleTemporaries(of: path)
        let temporary = temporaryPath(for: path)
        do {
            try fill(temporary)
        } catch {
            unlink(temporary)
            throw .write("\(error)")
        }
        if let reason = synchronize(temporary, directory: false) {
            unlink(temporary)
            throw .replace(reason)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .replace(reason)
        }
        // The rename is done; flushing the folder makes it survive a power loss. Filesystems that
        // cannot flush a folder (EINVAL) keep their own ordering guarantees.
        _ = synchronize(folder(of: path), directory: true)
    }

    /// Writes `data` to `path` atomically and durably.
    public static func write(_ data: Data, to path: String) throws(Failure) {
        try write(to: path) { (temporary: String) throws(Failure) in
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw .write(String(cString: strerror(errno))) }
            defer { close(descriptor) }
            let failure = data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int32 in
                var offset = 0
                while offset < bytes.count {
                    let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    guard written > 0 else { return errno }
                    offset += written
                }
                return 0
            }
            if failure != 0 { throw .write(String(cString: strerror(failure))) }
        }
    }

    /// Checks, before any work, that `path` can be written: it is not a folder nor another kind of
    /// special file, its folder exists, and a temporary file can be created (and is removed) beside
    /// it — which also catches read-only folders and names too long once `.NAME.PID.tmp` is made of
    /// them. Stale temporary files of `path` left by dead processes are removed on the way.
    public static func checkWritable(_ path: String) throws(Failure) {
        guard !path.isEmpty else { throw .unwritable("needs a file path") }
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw .unwritable("\(path) is a folder; give a file path") }
            if (info.st_mode & S_IFMT) != S_IFREG { throw .unwritable("\(path) is not a regular file; give a file path") }
        }
        let folder = folder(of: path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .unwritable("the folder \(folder) does not exist; create it first")
        }
        removeStaleTemporaries(of: path)
        let probe = temporaryPath(for: path)
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .unwritable("cannot create a file beside \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        unlink(probe)
    }

    /// Removes the `.NAME.PID.tmp` files of `path` whose process no longer exists; returns their names.
    @discardableResult
    public static func removeStaleTemporaries(of path: String) -> [String] {
        let folder = folder(of: path)
        let prefix = "." + URL(fileURLWithPath: path).lastPathComponent + "."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") && name.count > prefix.count + 4 {
            guard let pid = Int32(name.dropFirst(prefix.count).dropLast(4)), pid > 0, pid != getpid() else { continue }
            // ESRCH: no such process. EPERM means it exists under another user: keep its file.
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            if unlink(URL(fileURLWithPath: folder).appendingPathComponent(name).path) == 0 { removed.append(name) }
        }
        return removed
    }

    /// The folder `path` lies in.
    static func folder(of path: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    /// `fsync` of a file or folder; nil on success, else why not (EINVAL, a folder that cannot be
    /// flushed, counts as success).
    private static func synchronize(_ path: String, directory: Bool) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        if fsync(descriptor) != 0 && !(directory && errno == EINVAL) { return String(cString: strerror(errno)) }
        return nil
    }
}

extension AtomicFile {
    /// `checkWritable(_:)` as a usage error naming `setting`, for the start-up checks of a command.
    public static func checkWritable(_ path: String, setting: Setting) throws(TrainingError) {
        do {
            try checkWritable(path)
        } catch {
            throw .invalidSetting(setting, SettingText(error.description))
        }
    }
}
