import ArgumentParser
import Checkpoint
import Data
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings
import Training

/// `h5train bench`: throughput of the training step for several worker counts.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training throughput for several worker counts.",
        discussion: """
        Trains the same model from the same initial weights for --warmup untimed and --steps timed \
        steps at each worker count, then prints samples/s, GFLOP/s, the speed-up over the first \
        worker count, where the workers' time went, and whether the weights matched bit for bit (they \
        must). The stages: gather (copying the batch's rows), forward (products, bias, activation, \
        loss), backward (the deltas), gradients (∂W and ∂b over the batch), update (norm, clipping, \
        optimizer); other is waiting at the step's two barriers and the main thread's own work. \
        With --memory-budget the training data is streamed from its file as `train` streams it, \
        and each worker count's steps read their windows on one reader thread (its line follows the table). \
        Under `perf stat --control fifo:…` (PERF_CTL_FIFO set) only the timed steps are counted. \
        Under mpirun the steps are spread over the ranks (each with the given workers); rank 0 prints \
        the table and, per worker count, what it received from the other ranks per step, in how many \
        collective calls, and the time they took.

        Reference workload (MNIST, as tools/torch_reference.py):
          h5train bench --data mnist.h5 --hidden 512,256 --batch-size 128 --workers 1,2
        """
    )

    @Option(help: ArgumentHelp("HDF5 file with the training data.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("Dataset of inputs.", valueName: "dataset"))
    var x = "x_train"

    @Option(help: ArgumentHelp("Dataset of targets.", valueName: "dataset"))
    var y = "y_train"

    @Option(parsing: .unconditional, help: ArgumentHelp("Hidden layer widths.", valueName: "n,n,…"))
    var hidden = "512,256"

    @Option(parsing: .unconditional, help: ArgumentHelp("Worker counts to measure, comma-separated.", valueName: "n,n,…"))
    var workers = "1,2"

    @Option(parsing: .unconditional, help: "Samples per step.")
    var batchSize = 128

    @Option(parsing: .unconditional, help: "Timed steps per worker count.")
    var steps = 300

    @Option(parsing: .unconditional, help: "Untimed steps first (caches, page faults, thread start).")
    var warmup = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("Rows per micro-shard (default: a quarter of the batch, 64 to 256).", valueName: "rows"))
    var shardSize: Int?

    @Option(name: .customLong("lr"), parsing: .unconditional, help: "Learning rate (SGD with momentum 0.9).")
    var learningRate: Float = 0.05

    @Option(parsing: .unconditional, help: "Seed of the initial weights and the sample order. (default: 0)", transform: parseSeed)
    var seed: UInt64 = 0

    @OptionGroup(title: "Memory") var memory: MemoryOptions

    @OptionGroup(title: "Kernels") var kernels: KernelOptions

    func run() throws {
        let ranks = try startRanks()
        try reportingErrors(ranks: ranks) { () throws in
            let products = try kernels.select()
            let counts = workers.split(separator: ",").compactMap { Int($0) }
            guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }), counts.count == workers.split(separator: ",").count else {
                throw TrainingError.invalidSetting(.workers, "expected worker counts like 1,2,4, got '\(workers)'")
            }
            guard steps >= 1, warmup >= 0 else { throw TrainingError.invalidSetting(.steps, "must be at least 1") }
            let widths = hidden.split(separator: ",").compactMap { Int($0) }
            var options = LoaderOptions(train: DataSource(file: data, x: x, y: y))
            (options.seed, options.memory, options.batchSize) = (seed, memory.request, batchSize)
            options.memoryShare = try MemoryShare.agreed(by: ranks)
            let loaded = try DatasetLoader.load(options, ranks: ranks)
            if ranks.isReporting { for line in loaded.notes { print(line.withFlags) } }
            let perf = PerfControl()
            var results: [BenchmarkResult] = []
            var allocations: [Int] = [], readerAllocations: [Int] = []
            for count in counts {
                var config = TrainingConfiguration()
                config.hidden = widths
                config.batchSize = batchSize
                config.learningRate = learningRate
                config.seed = seed
                config.shardSize = shardSize ?? TrainingConfiguration.defaultShardSize(batchSize: batchSize)
                config.workers = count
                try config.validate()
                var before = 0, after = 0, readerBefore = 0, readerAfter = 0
                results.append(try Benchmark.run(data: loaded, configuration: config, steps: steps, warmup: warmup, ranks: ranks) { timed in
                    perf.counting {
                        (before, readerBefore) = (AllocationCounter.count ?? 0, Self.readerAllocations())
                        timed()
                        (after, readerAfter) = (AllocationCounter.count ?? 0, Self.readerAllocations())
                    }
                })
                allocations.append(after - before)
                readerAllocations.append(readerAfter - readerBefore)
            }
            guard ranks.isReporting else { return }
            print(Self.table(results, model: "\(loaded.train.featureCount)-\(widths.map(String.init).joined(separator: "-"))-\(loaded.outputSize)",
                             batch: batchSize, shard: shardSize ?? TrainingConfiguration.defaultShardSize(batchSize: batchSize),
                             kernels: products))
            if AllocationCounter.count != nil {
                print(allocationLine("heap allocations during the timed steps", counts: counts, allocations: allocations))
                if loaded.stream != nil {
                    print(allocationLine("of which on the reader thread", counts: counts, allocations: readerAllocations))
                }
            } else {
                print("heap allocations: run under tools/count-allocations to count them")
            }
            for result in results where result.ranks > 1 { print(Self.communicationLine(result)) }
            for result in results { if let report = result.readerReport { print("\(report) (\(result.workers) worker\(result.workers == 1 ? "" : "s"))") } }
        }
    }

    /// The allocations of the streamed data's reader thread so far (0 when not counted).
    static func readerAllocations() -> Int { AllocationCounter.count(onThreadsNamed: BlockReader.threadName) ?? 0 }

    /// `title`: per worker count, the allocations and allocations per timed step.
    func allocationLine(_ title: String, counts: [Int], allocations: [Int]) -> String {
        "\(title): " + zip(counts, allocations).map {
            "\($0) worker\($0 == 1 ? "" : "s"): \($1) (\(String(format: "%.2f", Double($1) / Double(steps))) per step)"
        }.joined(separator: ", ")
    }

    /// What rank 0 received per timed step across processes.
    static func communicationLine(_ result: BenchmarkResult) -> String {
        let steps = Double(result.steps), traffic = result.communication
        let milliseconds = Double(traffic.nanoseconds) / 1e6 / steps
        let line = String(format: "communication per step, rank 0 of %d ranks × %d worker%@: %.0f bytes received in %.0f collectives, %.3f ms (%.1f%% of the step)",
                          result.ranks, result.workers, result.workers == 1 ? "" : "s", Double(traffic.bytes) / steps,
                          Double(traffic.collectives) / steps, milliseconds, 100 * milliseconds / (1000 * result.seconds / steps))
        guard traffic.messages > 0 else { return line }
        return line + String(format: "; plus %.0f messages (the updated blocks' weights) posted while computing", Double(traffic.messages) / steps)
    }

    static func table(_ results: [BenchmarkResult], model: String, batch: Int, shard: Int, kernels: MatrixProducts? = nil) -> String {
        guard let first = results.first else { return "" }
        var lines = ["model \(model), batch \(batch) in shards of \(shard) rows, \(first.steps) timed steps, \(first.flopPerSample) FLOP per sample"
                     + (kernels.map { ", kernels \($0)" } ?? ""),
                     "                                                 share of the workers' time",
                     "workers  samples/s   GFLOP/s  speed-up  efficiency  gather  forward  backward  gradients  update   other  weights"]
        for result in results {
            let speedUp = result.samplesPerSecond / first.samplesPerSecond
            let efficiency = speedUp * Double(first.workers) / Double(result.workers)
            let same = result.finalParameters.map(\.bitPattern) == first.finalParameters.map(\.bitPattern)
            let shares = [Stage.gather, .forward, .backward, .gradients, .update].map { result.share(of: $0) } + [result.otherShare]
            lines.append(String(format: "%7d  %9.0f  %8.1f  %7.2f×  %9.0f%%  ", result.workers, result.samplesPerSecond,
                                result.gigaflopsPerSecond, speedUp, efficiency * 100)
                         + zip(shares, [6, 7, 8, 9, 6, 6]).map { String(format: "%\($1 - 1).1f%%", 100 * $0) }.joined(separator: "  ")
                         + "  " + (result.workers == first.workers ? "reference" : (same ? "identical" : "DIFFERENT")))
        }
        return lines.joined(separator: "\n")
    }
}
