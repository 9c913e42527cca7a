import DataParallel
import Foundation
import HDF5
import NeuralNet
import Settings

/// Checks and atomic writes for the HDF5 files commands produce (`predict`'s output, `export`).
public enum OutputPath {
    /// Throws a usage error for `flag` when `path` is a folder, lies in a folder that does not exist,
    /// or names the same file as one of `inputs` (described, path), which must never be overwritten.
    public static func check(_ path: String, setting: Setting, against inputs: [(String, String)]) throws(TrainingError) {
        guard !path.isEmpty else { throw .invalidSetting(setting, "needs a file path") }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw .invalidSetting(setting, "\(path) is a folder; give a file path")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .invalidSetting(setting, "the folder \(folder) does not exist; create it first")
        }
        for (what, input) in inputs where sameFile(path, input) {
            throw .invalidSetting(setting, "\(path) is \(what); refusing to overwrite it, choose another output file")
        }
    }

    /// Whether `a` and `b` name the same file: the same device and inode when both exist, else the
    /// same absolute path once symbolic links and `.`/`..` are resolved.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        if stat(a, &first) == 0, stat(b, &second) == 0 {
            return first.st_dev == second.st_dev && first.st_ino == second.st_ino
        }
        func resolved(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        return resolved(a) == resolved(b)
    }

    /// Creates a temporary HDF5 file beside `path` (`.NAME.PID.tmp`), lets `fill` write it, closes it
    /// and renames it over `path`, so an existing file is replaced whole or not at all. Failures
    /// remove the temporary file and become `.output` errors naming `path`.
    public static func writeAtomically(to path: String, _ fill: (File) throws(HDF5Error) -> Void) throws(TrainingError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
        func create() throws(HDF5Error) {
            let file = try File.create(temporary)
            try fill(file)
            try file.flush()
        }  // every object of the file is released here, so HDF5 closes it before the rename
        do {
            try create()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .output(path: path, message: "cannot write: \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw .output(path: path, message: "cannot replace the file: \(reason)")
        }
    }
}
