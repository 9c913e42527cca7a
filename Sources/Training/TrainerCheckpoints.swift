import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings

extension Trainer {
    /// Where an interrupted run without `checkpoint` saves itself.
    public static let interruptedCheckpointPath = "h5train-interrupted.ckpt.h5"

    /// The checkpoint of the run as it stands now.
    public func makeCheckpoint() -> TrainingState {
        var checkpoint = TrainingState(model: model, normalization: data.normalization, parameters: engine.parameterValues,
                                    optimizerState: engine.optimizerStateValues, epoch: progress.epoch,
                                    step: engine.step, configuration: configuration)
        checkpoint.progress = progress
        checkpoint.progress?.plateau = (schedule as? PlateauState)?.snapshot
        checkpoint.data = dataOptions
        checkpoint.fingerprint = fingerprint
        checkpoint.kernels = engine.products.description
        checkpoint.spread = RankSpread(ranks: engine.ranks.size, hosts: engine.ranks.isDistributed ? engine.ranks.hostNames : [])
        return checkpoint
    }

    /// Writes the run's state to `path` through the trainer's state writer. Across processes every
    /// rank calls it at the same point: the optimizer state is gathered from the blocks' owners, and
    /// rank 0 alone writes the file.
    public func saveCheckpoint(to path: String) throws(TrainingError) {
        guard let stateWriter else {
            preconditionFailure("a run that saves checkpoints needs a TrainingStateWriter")
        }
        try engine.gatherOptimizerState()
        try stateWriter.write(makeCheckpoint(), to: path)
    }

    /// Every `checkpointEverySteps` optimizer steps, within an epoch.
    func saveMidEpochCheckpoint() throws(TrainingError) {
        guard let every = configuration.checkpointEverySteps, let path = configuration.checkpointPath,
              engine.step % every == 0 else { return }
        try saveCheckpoint(to: path)
    }

    /// When a stop was requested (Ctrl-C, SIGTERM): saves the run (to `checkpointPath`, or
    /// ``interruptedCheckpointPath`` without one) and throws `.interrupted`, which says how to resume.
    func saveIfInterrupted(_ stop: StopRequest?, epoch: Int) throws(TrainingError) {
        guard let stop, engine.ranks.isDistributed ? engine.anyRankVotedStop : stop.isRequested else { return }  // ranks: the same step
        let path = configuration.checkpointPath ?? Self.interruptedCheckpointPath
        try saveCheckpoint(to: path)
        throw .interrupted(checkpoint: path, epoch: epoch, step: engine.step)
    }

    /// The end-of-epoch checkpoints: `checkpoint` (every `checkpoint_every` epochs and at the
    /// end), a numbered copy kept by `keep_last`, and `save_best`'s best one.
    func saveEpochCheckpoints(epoch: Int, metrics: EpochMetrics, last: Bool) throws(TrainingError) {
        guard let path = configuration.checkpointPath else { return }
        let due = last || configuration.checkpointEvery.map { epoch % $0 == 0 } ?? false
        if due {
            try saveCheckpoint(to: path)
            if let keep = configuration.keepLast {
                try saveCheckpoint(to: Self.numberedPath(path, epoch: epoch))
                if engine.ranks.isReporting { try Self.removeOldNumbered(path, keeping: keep) }
            }
        }
        if let metric = configuration.saveBest, let value = metric.value(in: metrics) {
            if progress.isBest(value, for: metric) {
                try saveCheckpoint(to: Self.bestPath(path))
                observer.note("  best \(metric.rawValue) so far (\(value)): \(Self.bestPath(path))")
            }
        }
    }

    /// `model.h5` → `model.best.h5`.
    public static func bestPath(_ path: String) -> String { insertBeforeExtension(path, ".best") }

    /// `model.h5`, epoch 3 → `model.e0003.h5`.
    static func numberedPath(_ path: String, epoch: Int) -> String {
        let digits = String(epoch)
        return insertBeforeExtension(path, ".e" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits)
    }

    private static func insertBeforeExtension(_ path: String, _ infix: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return base + infix + (ext.isEmpty ? "" : "." + ext)
    }

    /// Deletes all but the newest `keep` numbered checkpoints of `path`.
    private static func removeOldNumbered(_ path: String, keeping keep: Int) throws(TrainingError) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let probe = numberedPath(url.lastPathComponent, epoch: 0)  // name.e0000.ext
        let prefix = String(probe.prefix(probe.count - "0000".count - (url.pathExtension.isEmpty ? 0 : url.pathExtension.count + 1)))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let numbered = names.filter { $0.hasPrefix(prefix) && !$0.hasPrefix(".") }.sorted()
        for name in numbered.dropLast(keep) {
            do {
                try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            } catch {
                throw .checkpoint(path: name, message: "cannot remove an old numbered checkpoint: \(error.localizedDescription)")
            }
        }
    }
}
