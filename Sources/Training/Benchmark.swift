import DataParallel
import Dispatch
import NeuralNet

/// Throughput of the training step for one worker count, measured over a fixed number of steps.
public struct BenchmarkResult: Sendable {
    public var workers: Int
    public var steps: Int
    public var samples: Int
    public var seconds: Double
    /// Time choosing batches: this epoch's shuffled order (the rows themselves are copied by the
    /// workers in phase 1, as part of `deltasSeconds`).
    public var dataSeconds: Double
    /// Phase 1: forward passes and deltas.
    public var deltasSeconds: Double
    /// Phase 2: weight/bias gradients and optimizer updates.
    public var gradientsSeconds: Double
    public var flopPerSample: Int
    public var finalParameters: [Float]

    public var samplesPerSecond: Double { Double(samples) / seconds }
    public var gigaflopsPerSecond: Double { Double(samples) * Double(flopPerSample) / seconds / 1e9 }
}

/// Times the training step without evaluation, checkpoints or output.
public enum Benchmark {
    /// Trains `configuration`'s model on `data` for `warmup` untimed steps, then `steps` timed ones.
    ///
    /// - Parameter around: called with the timed region (for example to switch a `perf` counter on and off).
    public static func run(
        data: LoadedData, configuration: TrainingConfiguration, steps: Int, warmup: Int,
        around: (() -> Void) -> Void = { $0() }
    ) throws(TrainingError) -> BenchmarkResult {
        let trainer = try Trainer(configuration: configuration, data: data, observer: SilentObserver())
        let train = data.train, batch = configuration.batchSize
        var order = [Int32](repeating: 0, count: train.rows)
        var epoch = 0, position = train.rows  // start a new epoch at once
        var dataNanoseconds: UInt64 = 0, samples = 0

        func step() -> Int {
            let gatherStart = DispatchTime.now().uptimeNanoseconds
            if position >= train.rows {
                epoch += 1
                position = 0
                Trainer.fillEpochOrder(&order, seed: configuration.seed, epoch: epoch)
            }
            let rows = min(batch, train.rows - position)
            dataNanoseconds += DispatchTime.now().uptimeNanoseconds - gatherStart
            _ = Trainer.trainStep(trainer.engine, on: train, order: order, from: position, rows: rows)
            position += rows
            return rows
        }

        for _ in 0..<warmup { _ = step() }
        dataNanoseconds = 0
        let phasesBefore = trainer.engine.phaseTimes
        var seconds = 0.0
        around {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { samples += step() }
            seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let phases = trainer.engine.phaseTimes
        return BenchmarkResult(
            workers: configuration.workers, steps: steps, samples: samples, seconds: seconds,
            dataSeconds: Double(dataNanoseconds) / 1e9,
            deltasSeconds: Double(phases.deltas - phasesBefore.deltas) / 1e9,
            gradientsSeconds: Double(phases.gradientsAndUpdate - phasesBefore.gradientsAndUpdate) / 1e9,
            flopPerSample: trainer.model.architecture.trainingFLOPPerSample,
            finalParameters: trainer.engine.parameterValues)
    }
}

/// Discards all training output.
public final class SilentObserver: TrainingObserver {
    public init() {}
    public func note(_ text: String) {}
    public func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {}
    public func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {}
}
