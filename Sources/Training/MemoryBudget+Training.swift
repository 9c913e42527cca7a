import Data
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings

extension TrainingState {
    /// Refuses, before any data is read, an inference engine on `workers` workers that cannot fit in
    /// memory (each worker keeps a chunk of rows for every unit).
    public func checkEngineFits(workers: Int) throws(TrainingError) {
        try MemoryBudget.checkTraining(model.architecture, stateBuffers: 0, batch: 1, workers: workers)
    }
}

extension MemoryBudget {
    /// The checks of a training run before anything is allocated: its step count, then its memory.
    static func checkRun(_ configuration: TrainingConfiguration, architecture: NetworkArchitecture, rows: Int) throws(TrainingError) {
        try checkStepCount(epochs: configuration.epochs, stepsPerEpoch: (rows - 1) / configuration.batchSize + 1)
        try checkTraining(architecture, stateBuffers: configuration.optimizer.makeOptimizer().stateCount,
                          batch: configuration.batchSize, workers: configuration.workers)
    }
}

extension MemoryBudget {
    /// Refuses a network of layer `widths` (inputs first) whose parameter count — or eight times it,
    /// so that every size and FLOP count derived from it fits too — overflows an Int.
    static func checkParameterCount(widths: [Int]) throws(TrainingError) {
        let perLayer = zip(widths, widths.dropFirst()).map { product([$0 + 1, $1]) }
        guard !perLayer.contains(where: { $0 == nil }), let parameters = sum(perLayer.compactMap { $0 }),
              product([parameters, 8]) != nil else {
            throw .invalidSetting(.hidden, "the network \(widths.map(String.init).joined(separator: "→")) has more parameters than can be counted (over 2⁶⁰); it cannot be built")
        }
    }

    /// Refuses a training run whose buffers cannot fit in memory (see `trainingBytes`), naming the
    /// setting to change: `hidden` when even one worker and a batch of one would not fit, else
    /// `batch_size` when one worker would not, else `workers`.
    static func checkTraining(_ architecture: NetworkArchitecture, stateBuffers: Int, batch: Int, workers: Int) throws(TrainingError) {
        let total = trainingBytes(architecture, stateBuffers: stateBuffers, batch: batch, workers: workers)
        guard let total, total <= available else {
            func fits(_ batch: Int, _ workers: Int) -> Bool {
                trainingBytes(architecture, stateBuffers: stateBuffers, batch: batch, workers: workers).map { $0 <= available } ?? false
            }
            let setting: Setting = !fits(1, 1) ? .hidden : !fits(batch, 1) ? .batchSize : .workers
            let widths = ([architecture.inputSize] + architecture.layers.map(\.outputs)).map(String.init).joined(separator: "→")
            throw .invalidSetting(setting, "training the network \(widths) (\(architecture.parameterCount) parameters) with batch \(batch) on \(workers) worker\(workers == 1 ? "" : "s") needs at least \(describe(total)) of memory, more than \(limitText)")
        }
    }

    /// The least memory a training run takes, or nil when it overflows: parameters, gradient, the
    /// optimizer's `stateBuffers` and one copy (checkpoints); two floats (activation and gradient) a
    /// unit for each row of the batch and of every worker's evaluation chunk; the gathered inputs.
    static func trainingBytes(_ architecture: NetworkArchitecture, stateBuffers: Int, batch: Int, workers: Int) -> Int? {
        guard let units = sum(architecture.layers.map(\.outputs)),
              let rows = product([workers, Predictor.chunkRows]).flatMap({ sum([$0, batch]) }) else { return nil }
        return sum([product([architecture.parameterCount, 4, 3 + max(1, stateBuffers)]),
                    product([rows, units, 2 * 4]), product([batch, architecture.inputSize, 4])].map { $0 ?? Int.max })
    }
}
