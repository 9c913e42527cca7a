import Checkpoint
import Foundation
import Settings
import Training

/// Writes `text` to `path` atomically (a temporary file, then a rename); a failure becomes a
/// `TrainingError` naming the path and `what` was being written.
func writeTextFile(_ text: String, to path: String, what: String) throws(TrainingError) {
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw .output(path: path, message: "cannot write \(what): \(error.localizedDescription)")
    }
}
