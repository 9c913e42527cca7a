import Data
import DataParallel
import HDF5
import Optimizers
import Training

/// The checkpoint's /progress group: where the run stands, and one row of metrics per epoch.
extension TrainingProgress {
    /// Columns of `/progress/history`, in order.
    public static let historyColumns = ["epoch", "step", "train_loss", "val_loss", "val_accuracy", "val_mae", "lr", "samples_per_s", "seconds"]

    func write(to group: Group) throws(HDF5Error) {
        try group.setAttribute("epoch", epoch)
        try group.setAttribute("step_in_epoch", stepInEpoch)
        try group.setAttribute("epoch_loss_sum", epochLossSum)
        try group.setAttribute("epoch_samples", epochSamples)
        try group.setAttribute("epoch_skipped", epochSkipped)
        try group.setAttribute("best_val_loss", bestValidationLoss)
        try group.setAttribute("epochs_without_improvement", epochsWithoutImprovement)
        if let bestSavedMetric { try group.setAttribute("best_saved_metric", bestSavedMetric) }
        if let plateau {
            try group.setAttribute("plateau_best", plateau.best)
            try group.setAttribute("plateau_bad_epochs", plateau.badEpochs)
            try group.setAttribute("plateau_cooldown", plateau.cooldownCounter)
            try group.setAttribute("plateau_lr", plateau.currentRate)
            try group.setAttribute("plateau_epochs", plateau.epochs)
        }
        if let window {
            try group.setAttribute("window_block_rows", window.blockRows)
            try group.setAttribute("window_blocks", window.blocksPerWindow)
        }
        let nan = Double.nan
        let rows = history.flatMap { m -> [Double] in
            [Double(m.epoch), Double(m.step), m.trainLoss, m.validationLoss ?? nan, m.validationAccuracy ?? nan,
             m.validationMAE ?? nan, Double(m.learningRate), m.samplesPerSecond, m.seconds]
        }
        let table = try group.createDataset("history", shape: [history.count, Self.historyColumns.count], values: rows)
        try table.setAttribute("columns", Self.historyColumns.joined(separator: ","))
    }

    init(group: Group) throws(HDF5Error) {
        self.init()
        epoch = try group.intAttribute("epoch")
        stepInEpoch = try group.intAttribute("step_in_epoch")
        epochLossSum = try group.doubleAttribute("epoch_loss_sum")
        epochSamples = try group.intAttribute("epoch_samples")
        epochSkipped = try group.intAttribute("epoch_skipped")
        bestValidationLoss = try group.doubleAttribute("best_val_loss")
        epochsWithoutImprovement = try group.intAttribute("epochs_without_improvement")
        bestSavedMetric = group.hasAttribute("best_saved_metric") ? try group.doubleAttribute("best_saved_metric") : nil
        if group.hasAttribute("plateau_lr") {
            plateau = PlateauState.Snapshot(
                best: try group.doubleAttribute("plateau_best"), badEpochs: try group.intAttribute("plateau_bad_epochs"),
                cooldownCounter: try group.intAttribute("plateau_cooldown"), currentRate: try group.doubleAttribute("plateau_lr"),
                epochs: try group.intAttribute("plateau_epochs"))
        }
        if group.hasAttribute("window_block_rows") {
            let (rows, blocks) = (try group.intAttribute("window_block_rows"), try group.intAttribute("window_blocks"))
            guard rows >= 1, blocks >= 1 else {
                throw HDF5Error(.shapeMismatch, call: "read progress", file: group.file, object: group.name,
                                detail: "window_block_rows \(rows) and window_blocks \(blocks) must be at least 1")
            }
            window = WindowShape(blockRows: rows, blocksPerWindow: blocks)
        }
        let table = try group.dataset("history")
        let values = try table.read(Double.self)
        let width = Self.historyColumns.count
        func optional(_ x: Double) -> Double? { x.isNaN ? nil : x }
        history = stride(from: 0, to: values.count - width + 1, by: width).map { start in
            let v = values[start..<(start + width)].map { $0 }
            return EpochMetrics(epoch: Int(v[0]), step: Int(v[1]), trainLoss: v[2], validationLoss: optional(v[3]),
                                validationAccuracy: optional(v[4]), validationMAE: optional(v[5]),
                                learningRate: Float(v[6]), samplesPerSecond: v[7], seconds: v[8])
        }
    }
}
