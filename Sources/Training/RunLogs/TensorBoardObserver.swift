import DataParallel
import Foundation
import NeuralNet
import Optimizers
import RunLogs
import Settings

/// Writes a training run as TensorBoard events (the `tensorboard` folder of a run):
///
///     run/config                        the command line and the `explain` summary (text, step 0)
///     step/loss, step/lr, step/grad_norm    every applied step, at its global step
///     step/momentum                     every step, when the schedule cycles momentum (or β₁)
///     epoch/train_loss, epoch/val_loss, epoch/val_accuracy | epoch/val_mae, epoch/samples_per_s
///                                       every epoch, at the global step it ended on
///     layerN/weights, layerN/biases, layerN/weight_gradients, layerN/bias_gradients
///                                       histograms every epoch (gradients: the epoch's last step)
///
/// A step's values go into buffers sized for one epoch when the observer is made, and reach the
/// file after the epoch (or at `close`), so steps allocate nothing. The first write error is
/// reported once, on standard error, naming the file; logging then stops and training goes on.
public final class TensorBoardObserver: TrainingObserver {
    public let writer: TensorBoardWriter
    private let architecture: NetworkArchitecture
    private let cyclesMomentum: Bool
    private var failed = false
    /// One entry per buffered step: global step, wall time, loss, lr, momentum, gradient norm.
    private var steps: [Int], wallTimes: [Double], losses: [Double], rates: [Float], momenta: [Float], norms: [Double]
    private var buffered = 0

    /// - Parameters:
    ///   - stepsPerEpoch: the buffers' size (a longer epoch is written in pieces).
    ///   - configuration: Markdown written once as `run/config`.
    public init(writer: TensorBoardWriter, architecture: NetworkArchitecture, stepsPerEpoch: Int,
                cyclesMomentum: Bool, configuration: String) {
        self.writer = writer
        self.architecture = architecture
        self.cyclesMomentum = cyclesMomentum
        let capacity = max(stepsPerEpoch, 1)
        steps = [Int](repeating: 0, count: capacity)
        wallTimes = [Double](repeating: 0, count: capacity)
        losses = wallTimes
        norms = wallTimes
        rates = [Float](repeating: 0, count: capacity)
        momenta = rates
        attempt { try writer.text(tag: "run/config", text: configuration, step: 0) }
        attempt { try writer.flush() }
    }

    public func note(_ text: SettingText) {}

    public func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {}

    public func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {}

    public func stepApplied(_ result: StepResult, step: Int) {
        guard !failed else { return }
        if buffered == steps.count { writeBufferedSteps() }
        steps[buffered] = step
        wallTimes[buffered] = Date().timeIntervalSince1970
        losses[buffered] = result.loss
        rates[buffered] = result.learningRate
        momenta[buffered] = result.momentum ?? .nan
        norms[buffered] = result.gradientNorm
        buffered += 1
    }

    public func epochFinished(_ metrics: EpochMetrics, engine: StepEngine) {
        guard !failed else { return }
        writeBufferedSteps()
        let step = metrics.step
        var scalars: [(String, Double)] = [("epoch/train_loss", metrics.trainLoss)]
        if let loss = metrics.validationLoss { scalars.append(("epoch/val_loss", loss)) }
        if let accuracy = metrics.validationAccuracy { scalars.append(("epoch/val_accuracy", accuracy)) }
        if let mae = metrics.validationMAE { scalars.append(("epoch/val_mae", mae)) }
        scalars.append(("epoch/samples_per_s", metrics.samplesPerSecond))
        for (tag, value) in scalars { attempt { try writer.scalar(tag: tag, value: value, step: step) } }
        engine.withParameters { writeHistograms(of: $0, kind: "", step: step) }
        engine.withLastGradient { writeHistograms(of: $0, kind: "_gradients", step: step) }
        attempt { try writer.flush() }
    }

    /// Writes what is buffered and closes the file (after a finished or an interrupted run).
    public func close() {
        guard !failed else { return }
        writeBufferedSteps()
        attempt { try writer.close() }
    }

    private func writeHistograms(of values: UnsafeBufferPointer<Float>, kind: String, step: Int) {
        for (l, layer) in architecture.layers.enumerated() {
            let weights = architecture.weightOffsets[l]..<architecture.biasOffset(l)
            let biases = architecture.biasOffset(l)..<(architecture.biasOffset(l) + layer.outputs)
            let weightTag = kind.isEmpty ? "weights" : "weight" + kind, biasTag = kind.isEmpty ? "biases" : "bias" + kind
            attempt { try writer.histogram(tag: "layer\(l + 1)/\(weightTag)", values: values[weights], step: step) }
            attempt { try writer.histogram(tag: "layer\(l + 1)/\(biasTag)", values: values[biases], step: step) }
        }
    }

    private func writeBufferedSteps() {
        for i in 0..<buffered {
            let (step, time) = (steps[i], wallTimes[i])
            attempt { try writer.scalar(tag: "step/loss", value: losses[i], step: step, wallTime: time) }
            attempt { try writer.scalar(tag: "step/lr", value: Double(rates[i]), step: step, wallTime: time) }
            if cyclesMomentum {
                attempt { try writer.scalar(tag: "step/momentum", value: Double(momenta[i]), step: step, wallTime: time) }
            }
            attempt { try writer.scalar(tag: "step/grad_norm", value: norms[i], step: step, wallTime: time) }
        }
        buffered = 0
    }

    /// Runs one write unless an earlier one failed; reports the first failure, once.
    /// (Untyped: closures do not infer typed throws; every error here is a `RunLogError`.)
    private func attempt(_ write: () throws -> Void) {
        guard !failed else { return }
        do {
            try write()
        } catch {
            failed = true
            let text = (error as? RunLogError)?.description ?? "cannot write TensorBoard events to \(writer.path): \(error)"
            FileHandle.standardError.write(Data("h5train: warning: \(text); TensorBoard logging stopped, training goes on\n".utf8))
        }
    }
}
