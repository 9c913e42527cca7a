import DataParallel
import Foundation
import Optimizers
import Settings

/// The `metrics` CSV file: a header, then one row per epoch, flushed to the disk as each epoch
/// ends so a crashed run still leaves its history.
///
/// The file always holds exactly the run's history: a run starts it afresh from the rows of the
/// epochs its checkpoint holds (none for a new run), so a row written after the last checkpoint by
/// a run that was then killed does not appear twice once the run is resumed.
final class MetricsFile {
    let path: String

    /// Replaces the file at `path`, atomically, with `header` and `rows`.
    init(path: String, header: String = EpochMetrics.csvHeader, rows: [String] = []) throws(TrainingError) {
        self.path = path
        do {
            try AtomicFile.write(Data(([header] + rows).map { $0 + "\n" }.joined().utf8), to: path)
        } catch {
            throw .output(path: path, message: "cannot write the metrics file: \(error)")
        }
    }

    /// Appends one row and flushes it to the disk. The file is opened for each row, so a failure
    /// shows at the row it concerns.
    func append(_ metrics: EpochMetrics) throws(TrainingError) {
        let bytes = Array((metrics.csvRow + "\n").utf8)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        var failure = descriptor < 0 ? errno : 0
        if descriptor >= 0 {
            var offset = 0
            while failure == 0 && offset < bytes.count {
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                if written > 0 { offset += written } else { failure = errno }
            }
            if failure == 0 && fsync(descriptor) != 0 { failure = errno }
            close(descriptor)
        }
        guard failure == 0 else {
            throw .output(path: path, message: "cannot write the metrics file: \(String(cString: strerror(failure)))")
        }
    }
}

extension Trainer {
    /// The metrics rows of the epochs the run has finished, from its history. The history keeps no
    /// momentum; a cycling schedule's is recomputed at each epoch's last step, as the run reported it.
    var metricsHistoryRows: [String] {
        progress.history.map { row in
            var metrics = row
            if schedulesMomentum { metrics.momentum = schedule.momentum(atStep: max(row.step - 1, 0)) }
            return metrics.csvRow
        }
    }

    /// After a failed write of `metricsPath` (the epoch is trained and in `progress`): saves the run
    /// first, then returns the error to report, saying where the run is and how to continue it.
    func savingRun(after failure: TrainingError, metricsPath: String) -> TrainingError {
        let checkpoint = configuration.checkpointPath ?? Self.interruptedCheckpointPath
        let saved: SettingText
        do {
            try saveCheckpoint(to: checkpoint)
            saved = "the run is saved in \(checkpoint) (epoch \(progress.epoch)); fix it and continue with: h5train train \(.resume) \(checkpoint) \(.metrics) \(metricsPath)"
        } catch {
            saved = "and the run could not be saved either: \(error.description)"
        }
        return .output(path: metricsPath, message: "\(failure.messageWithoutPath); \(saved)")
    }
}

extension TrainingError {
    /// An `.output` error's message without its path; any other error's description.
    var messageWithoutPath: SettingText {
        if case .output(_, let message) = self { return message }
        return SettingText(description)
    }
}
