import DataParallel
import Foundation
import HDF5
import NeuralNet
import Settings
import Training

/// Checks and atomic writes for the HDF5 files commands produce (`predict`'s output, `export`).
public enum OutputPath {
    /// Throws a usage error for `setting` when `path` is a folder, lies in a folder that does not exist,
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
        try AtomicFile.checkWritable(path, setting: setting)
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

    /// Creates a new HDF5 file with `AtomicFile` and lets `fill` write it, so an existing file is
    /// replaced whole or not at all, durably. Failures become `.output` errors naming `path`.
    public static func writeAtomically(to path: String, _ fill: (File) throws(HDF5Error) -> Void) throws(TrainingError) {
        func create(_ temporary: String) throws(HDF5Error) {
            let file = try File.create(temporary)
            try fill(file)
            try file.flush()
        }  // every object of the file is released here, so HDF5 closes it before the rename
        do {
            try AtomicFile.write(to: path, create)
        } catch {
            throw .output(path: path, message: SettingText(error.description))
        }
    }
}
