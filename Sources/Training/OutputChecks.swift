extension TrainingConfiguration {
    /// Every file the run will write, with the flag that names it: the checkpoint and the copies
    /// `--keep-last` and `--save-best` make beside it (the longest names they take), and the metrics.
    var outputFiles: [(flag: String, path: String)] {
        var files: [(flag: String, path: String)] = []
        if let path = checkpointPath {
            files.append(("--checkpoint", path))
            if keepLast != nil { files.append(("--keep-last", Trainer.numberedPath(path, epoch: max(epochs, 9999)))) }
            if saveBest != nil { files.append(("--save-best", Trainer.bestPath(path))) }
        }
        if let path = metricsPath { files.append(("--metrics", path)) }
        return files
    }

    /// Fails before any work when a file the run writes cannot be written (a folder, a missing or
    /// read-only folder, a name too long), naming the flag; see `AtomicFile.checkWritable`.
    public func checkOutputsWritable() throws(TrainingError) {
        for (flag, path) in outputFiles { try AtomicFile.checkWritable(path, flag: flag) }
    }
}
