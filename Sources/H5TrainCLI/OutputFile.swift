import Checkpoint
import Foundation
import Settings
import Training

/// Writes `text` to `path` with `AtomicFile` (a temporary file, flushed, then a rename); a failure
/// becomes a `TrainingError` naming the path and `what` was being written.
func writeTextFile(_ text: String, to path: String, what: String) throws(TrainingError) {
    do {
        try AtomicFile.write(Data(text.utf8), to: path)
    } catch {
        throw .output(path: path, message: "cannot write \(what): \(error)")
    }
}
