import Data
import DataParallel
import Dispatch
import NeuralNet
import Settings

/// Throughput of the training step for one worker count, measured over a fixed number of steps.
public struct BenchmarkResult: Sendable {
    public var workers: Int
    public var steps: Int
    public var samples: Int
    public var seconds: Double
    /// Worker time in each stage of the step, summed over the workers (`seconds × workers` in all).
    public var stageSeconds: [Stage: Double]
    public var flopPerSample: Int
    public var finalParameters: [Float]
    /// Processes the steps were spread over (mpirun), and what this one received from the others
    /// during the timed steps.
    public var ranks = 1
    public var communication = CommunicationTraffic()
    /// What the reader thread did when the data was streamed (blocks read, time reading and waiting).
    public var readerReport: String?

    public var samplesPerSecond: Double { Double(samples) / seconds }
    public var gigaflopsPerSecond: Double { Double(samples) * Double(flopPerSample) / seconds / 1e9 }

    /// The share of all workers' time (seconds × workers) spent in `stage`.
    public func share(of stage: Stage) -> Double { (stageSeconds[stage] ?? 0) / (seconds * Double(workers)) }

    /// The share of all workers' time in no stage: waiting at the two barriers of each step
    /// (unbalanced work, waking up) and the calling thread's own work (order, loss sums, schedule).
    public var otherShare: Double { 1 - Stage.allCases.reduce(0) { $0 + share(of: $1) } }
}

/// Times the training step without evaluation, checkpoints or output.
public enum Benchmark {
    /// Trains `configuration`'s model on `data` for `warmup` untimed steps, then `steps` timed ones.
    ///
    /// - Parameters:
    ///   - ranks: the processes the steps are spread over (mpirun); every rank runs the same benchmark.
    ///   - around: called with the timed region (for example to switch a `perf` counter on and off).
    public static func run(
        data: LoadedData, configuration: TrainingConfiguration, steps: Int, warmup: Int, ranks: Communicator = .single,
        around: (() -> Void) -> Void = { $0() }
    ) throws(TrainingError) -> BenchmarkResult {
        let trainer = try Trainer(configuration: configuration, data: data, observer: SilentObserver(), ranks: ranks)
        let batches = SweepBatches(data: data, batchSize: configuration.batchSize, seed: configuration.seed, steps: warmup + steps)
        var samples = 0, failure: TrainingError?

        func step() -> Int {
            guard failure == nil else { return 0 }
            do throws(TrainingError) {
                return try batches.trainStep(trainer.engine, schedule: trainer.schedule).rows
            } catch {
                failure = error
                return 0
            }
        }

        for _ in 0..<warmup { _ = step() }
        try ranks.barrier()  // every rank starts the clock together
        let stagesBefore = trainer.engine.stageTimes, trafficBefore = trainer.engine.communicationTraffic
        var seconds = 0.0
        around {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { samples += step() }
            seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let readerReport = batches.stop()
        if let failure { throw failure }
        let stages = trainer.engine.stageTimes.since(stagesBefore)
        var result = BenchmarkResult(
            workers: configuration.workers, steps: steps, samples: samples, seconds: seconds,
            stageSeconds: Dictionary(uniqueKeysWithValues: Stage.allCases.map { ($0, Double(stages[$0]) / 1e9) }),
            flopPerSample: trainer.model.architecture.trainingFLOPPerSample,
            finalParameters: trainer.engine.parameterValues)
        result.ranks = ranks.size
        result.communication = trainer.engine.communicationTraffic.since(trafficBefore)
        result.readerReport = readerReport
        return result
    }
}
