import Foundation
import Settings
import Training

/// Writes the bytes of an exported model file: checks the path as every h5train output is checked
/// (a file in an existing folder, never the checkpoint it came from), then writes a temporary file
/// beside it and renames it over the path, so an existing file is replaced whole or not at all.
enum ExportFile {
    static func write(_ bytes: [UInt8], to path: String, setting: Setting, checkpointPath: String) throws(TrainingError) {
        try OutputPath.check(path, setting: setting, against: [("the checkpoint", checkpointPath)])
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .output(path: path, message: "cannot write: \(error.localizedDescription)")
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .output(path: path, message: "cannot replace the file: \(reason)")
        }
    }

    /// Writes `text` as UTF-8, like ``write(_:to:setting:checkpointPath:)``.
    static func write(text: String, to path: String, setting: Setting, checkpointPath: String) throws(TrainingError) {
        try write(Array(text.utf8), to: path, setting: setting, checkpointPath: checkpointPath)
    }
}
