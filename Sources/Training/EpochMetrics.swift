import DataParallel
import Optimizers

/// What one epoch achieved; one line of output and one row of the metrics file.
public struct EpochMetrics: Sendable, Equatable {
    public var epoch: Int
    public var step: Int
    public var trainLoss: Double
    public var validationLoss: Double?
    /// Fraction correct (classification).
    public var validationAccuracy: Double?
    /// Mean absolute error per output (regression).
    public var validationMAE: Double?
    public var learningRate: Float
    /// The momentum (or β₁) a cycling schedule set for the epoch's last step; nil when none cycles it.
    public var momentum: Float?
    public var samplesPerSecond: Double
    public var seconds: Double

    public init(epoch: Int, step: Int, trainLoss: Double, validationLoss: Double? = nil, validationAccuracy: Double? = nil,
                validationMAE: Double? = nil, learningRate: Float, momentum: Float? = nil, samplesPerSecond: Double,
                seconds: Double) {
        (self.epoch, self.step, self.trainLoss, self.validationLoss) = (epoch, step, trainLoss, validationLoss)
        (self.validationAccuracy, self.validationMAE, self.learningRate) = (validationAccuracy, validationMAE, learningRate)
        (self.momentum, self.samplesPerSecond, self.seconds) = (momentum, samplesPerSecond, seconds)
    }

    /// Column names of the metrics CSV file.
    public static let csvHeader = "epoch,step,train_loss,val_loss,val_accuracy,val_mae,lr,samples_per_s,seconds"

    /// The header of a run's metrics file: ``csvHeader``, plus a last `momentum` column when the
    /// schedule cycles momentum.
    public static func csvHeader(momentum: Bool) -> String { momentum ? csvHeader + ",momentum" : csvHeader }

    /// This epoch as a CSV row (empty fields where there is no value).
    public var csvRow: String {
        func field(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        return [
            "\(epoch)", "\(step)", "\(trainLoss)", field(validationLoss), field(validationAccuracy),
            field(validationMAE), "\(learningRate)", String(format2: samplesPerSecond, 1), String(format2: seconds, 3),
        ].joined(separator: ",") + (momentum.map { ",\($0)" } ?? "")
    }

    /// The per-epoch line printed while training.
    public func line(totalEpochs: Int) -> String {
        var parts = ["epoch \(epoch)/\(totalEpochs)", "train_loss \(String(format2: trainLoss, 4))"]
        if let loss = validationLoss { parts.append("val_loss \(String(format2: loss, 4))") }
        if let accuracy = validationAccuracy { parts.append("val_acc \(String(format2: accuracy * 100, 2))%") }
        if let mae = validationMAE { parts.append("val_mae \(String(format2: mae, 4))") }
        parts.append("lr \(learningRate)")
        if let momentum { parts.append("momentum \(momentum)") }
        parts.append("\(String(format2: samplesPerSecond, 0)) samples/s")
        parts.append("\(String(format2: seconds, 2))s")
        return parts.joined(separator: "  ")
    }
}
