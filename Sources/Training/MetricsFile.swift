import DataParallel
import Foundation
import Settings

/// The `metrics` CSV file: a header, then one row per epoch, flushed as each epoch ends so a
/// crashed run still leaves its history.
final class MetricsFile {
    let path: String
    private let handle: FileHandle

    /// - Parameter appending: keep the rows already there (a resumed run); the header is written
    ///   only into a new file.
    init(path: String, header: String = EpochMetrics.csvHeader, appending: Bool = false) throws(TrainingError) {
        self.path = path
        let keep = appending && FileManager.default.fileExists(atPath: path)
        guard keep || FileManager.default.createFile(atPath: path, contents: Data((header + "\n").utf8)),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw .output(path: path, message: "cannot create the metrics file (check the folder exists and is writable)")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func append(_ metrics: EpochMetrics) throws(TrainingError) {
        do {
            try handle.write(contentsOf: Data((metrics.csvRow + "\n").utf8))
            try handle.synchronize()
        } catch {
            throw .output(path: path, message: "cannot write the metrics file: \(error.localizedDescription)")
        }
    }

    deinit {
        try? handle.close()
    }
}
