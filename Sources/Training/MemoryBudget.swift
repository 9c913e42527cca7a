import DataParallel
import Foundation
import NeuralNet

/// How much memory this process may use, and the up-front refusal of models and datasets that cannot
/// fit in it: one line with the size in bytes, instead of an allocation that aborts the process (or
/// a size computation that overflows and traps) after the data was read.
public enum MemoryBudget {
    /// The smaller of the physical memory and the cgroup's memory limit, in bytes.
    public static let available: Int = {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        return min(physical, cgroupLimit() ?? Int.max)
    }()

    /// The tightest memory limit of this process's cgroups (v2 `memory.max`, v1
    /// `memory.limit_in_bytes`), if any is set.
    static func cgroupLimit() -> Int? {
        var files = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, fields[2] != "/" else { continue }
            if fields[0] == "0" {
                files += ["/sys/fs/cgroup\(fields[2])/memory.max", "/sys/fs/cgroup/unified\(fields[2])/memory.max"]
            } else if fields[1].split(separator: ",").contains("memory") {
                files.append("/sys/fs/cgroup/memory\(fields[2])/memory.limit_in_bytes")
            }
        }
        let limits = files.compactMap { path -> Int? in
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return limits.filter { $0 > 0 }.min()
    }

    /// The product of `factors`, or nil when it overflows an Int.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// The sum of `terms`, or nil when it overflows an Int.
    public static func sum(_ terms: [Int]) -> Int? {
        var result = 0
        for term in terms {
            let (next, overflow) = result.addingReportingOverflow(term)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// `bytes` as "68,719,476,736 bytes (64.0 GiB)"; nil (an overflow) as "more than 2⁶³ bytes".
    public static func describe(_ bytes: Int?) -> String {
        guard let bytes else { return "more than 9,223,372,036,854,775,807 bytes" }
        var digits = String(bytes), grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits = String(digits.dropLast(3))
        }
        return "\(digits)\(grouped) bytes (\(String(format2: Double(bytes) / 1_073_741_824, 1)) GiB)"
    }

    /// What this machine allows, for messages.
    static var limitText: String { "the \(describe(available)) of memory this machine allows" }
}

extension MemoryBudget {
    /// Refuses a network of layer `widths` (inputs first) whose parameter count — or eight times it,
    /// so that every size and FLOP count derived from it fits too — overflows an Int.
    static func checkParameterCount(widths: [Int]) throws(TrainingError) {
        let perLayer = zip(widths, widths.dropFirst()).map { product([$0 + 1, $1]) }
        guard !perLayer.contains(where: { $0 == nil }), let parameters = sum(perLayer.compactMap { $0 }),
              product([parameters, 8]) != nil else {
            throw .invalidOption(flag: "--hidden", message: "the network \(widths.map(String.init).joined(separator: "→")) has more parameters than can be counted (over 2⁶⁰); it cannot be built")
        }
    }

    /// Refuses a training run whose buffers cannot fit in memory (see `trainingBytes`), naming the
    /// flag to change: `--hidden` when even one worker and a batch of one would not fit, else
    /// `--batch-size` when one worker would not, else `--workers`.
    static func checkTraining(_ architecture: NetworkArchitecture, stateBuffers: Int, batch: Int, workers: Int) throws(TrainingError) {
        let total = trainingBytes(architecture, stateBuffers: stateBuffers, batch: batch, workers: workers)
        guard let total, total <= available else {
            func fits(_ batch: Int, _ workers: Int) -> Bool {
                trainingBytes(architecture, stateBuffers: stateBuffers, batch: batch, workers: workers).map { $0 <= available } ?? false
            }
            let flag = !fits(1, 1) ? "--hidden" : !fits(batch, 1) ? "--batch-size" : "--workers"
            let widths = ([architecture.inputSize] + architecture.layers.map(\.outputs)).map(String.init).joined(separator: "→")
            throw .invalidOption(flag: flag, message: "training the network \(widths) (\(architecture.parameterCount) parameters) with batch \(batch) on \(workers) worker\(workers == 1 ? "" : "s") needs at least \(describe(total)) of memory, more than \(limitText)")
        }
    }

    /// The least memory a training run takes, or nil when it overflows: parameters, gradient, the
    /// optimizer's `stateBuffers` and one copy (checkpoints); two floats (activation and gradient) a
    /// unit for each row of the batch and of every worker's evaluation chunk; the gathered inputs.
    static func trainingBytes(_ architecture: NetworkArchitecture, stateBuffers: Int, batch: Int, workers: Int) -> Int? {
        guard let units = sum(architecture.layers.map(\.outputs)),
              let rows = product([workers, ParallelTrainer.evaluationChunk]).flatMap({ sum([$0, batch]) }) else { return nil }
        return sum([product([architecture.parameterCount, 4, 3 + max(1, stateBuffers)]),
                    product([rows, units, 2 * 4]), product([batch, architecture.inputSize, 4])].map { $0 ?? Int.max })
    }

    /// Refuses a dataset of `shape` whose values, read as Float32, overflow or cannot fit in memory.
    static func checkDataset(shape: [Int], file: String, dataset: String) throws(TrainingError) {
        let bytes = product(shape + [MemoryLayout<Float>.size])
        guard let bytes, bytes <= available else {
            throw .invalidData(file: file, dataset: dataset, message: "of shape \(shape) needs \(describe(bytes)) of memory as float32, more than \(limitText); use a smaller dataset or a machine with more memory")
        }
    }
}

extension Checkpoint {
    /// Refuses, before any data is read, an inference engine on `workers` workers that cannot fit in
    /// memory (each worker keeps a chunk of rows for every unit).
    public func checkEngineFits(workers: Int) throws(TrainingError) {
        try MemoryBudget.checkTraining(model.architecture, stateBuffers: 0, batch: 1, workers: workers)
    }
}

extension MemoryBudget {
    /// Refuses a run whose total optimizer steps (`epochs` × `stepsPerEpoch`) overflow an Int.
    static func checkStepCount(epochs: Int, stepsPerEpoch: Int) throws(TrainingError) {
        guard product([epochs, stepsPerEpoch, 2]) != nil else {
            throw .invalidOption(flag: "--epochs", message: "\(epochs) epochs × \(stepsPerEpoch) steps is more steps than can be counted")
        }
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
    /// Refuses predicting `rows` rows of `outputs` values each when they cannot be held in memory.
    static func checkPredictions(rows: Int, outputs: Int, file: String, dataset: String) throws(TrainingError) {
        let bytes = product([rows, outputs, MemoryLayout<Float>.size])
        guard let bytes, bytes <= available else {
            throw .invalidData(file: file, dataset: dataset, message: "has \(rows) rows; their \(outputs) outputs each need \(describe(bytes)) of memory, more than \(limitText); predict a part of the rows at a time")
        }
    }
}
