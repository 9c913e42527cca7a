import Foundation
import Settings
import Training

/// Writes the bytes of an exported model file: checks the path as every h5train output is checked
/// (a file in an existing folder, never the checkpoint it came from), then writes it
/// with `AtomicFile`, so an existing file is replaced whole or not at all, durably.
enum ExportFile {
    static func write(_ bytes: [UInt8], to path: String, setting: Setting, checkpointPath: String) throws(TrainingError) {
        try OutputPath.check(path, setting: setting, against: [("the checkpoint", checkpointPath)])
        do {
            try AtomicFile.write(Data(bytes), to: path)
        } catch {
            throw .output(path: path, message: "cannot write: \(error.description)")
        }
    }

    /// Writes `text` as UTF-8, like ``write(_:to:setting:checkpointPath:)``.
    static func write(text: String, to path: String, setting: Setting, checkpointPath: String) throws(TrainingError) {
        try write(Array(text.utf8), to: path, setting: setting, checkpointPath: checkpointPath)
    }
}
