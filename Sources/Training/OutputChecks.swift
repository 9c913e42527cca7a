import DataParallel
import Settings

extension TrainingConfiguration {
    /// Every file the run will write, with the setting that names it: the checkpoint and the copies
    /// `keep_last` and `save_best` make beside it (the longest names they take), and the metrics.
    var outputFiles: [(setting: Setting, path: String)] {
        var files: [(setting: Setting, path: String)] = []
        if let path = checkpointPath {
            files.append((.checkpoint, path))
            if keepLast != nil { files.append((.keepLast, Trainer.numberedPath(path, epoch: max(epochs, 9999)))) }
            if saveBest != nil { files.append((.saveBest, Trainer.bestPath(path))) }
        }
        if let path = metricsPath { files.append((.metrics, path)) }
        return files
    }

    /// Fails before any work when a file the run writes cannot be written (a folder, a missing or
    /// read-only folder, a name too long), naming the setting; see `AtomicFile.checkWritable`.
    public func checkOutputsWritable() throws(TrainingError) {
        for (setting, path) in outputFiles { try AtomicFile.checkWritable(path, setting: setting) }
    }
}
