import ArgumentParser
import Checkpoint
import Data
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings
import RunLogs
import Training

/// `h5train lr-find`: the learning-rate range test, to choose `--lr` (or onecycle's peak) before a run.
struct LRFind: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Find a learning rate with the LR range test (a short sweep, no training run).",
        discussion: """
        Trains a throwaway copy of the network for up to --steps steps while the rate grows \
        exponentially from --start-lr to --end-lr, lr(k) = start·(end/start)^(k/(steps − 1)), on \
        batches of the training data, and records the loss. The loss is smoothed with a bias-corrected \
        moving average (weight --smoothing for each new loss); the sweep stops when the smoothed loss \
        exceeds 4× its best. The network's initial weights are left untouched: a `train` with the same \
        flags starts from exactly the same weights. Under mpirun the sweep's steps are spread over \
        the ranks (each with --workers workers) and the curve is one process's, bit for bit; rank 0 \
        prints it and writes the files.

        Two rules read the smoothed curve, without its first tenth and last five points. \
        The first gives the suggestion (the second when the loss never falls):
          steepest descent  where the loss falls fastest per decade of rate
          minimum ÷ 10      a tenth of the rate at the lowest loss

        Example (MNIST):
          h5train lr-find --data mnist.h5 --hidden 512,256 --batch-size 128
                          --momentum 0.9 --out lr-find.csv --plot lr-find.svg
        """
    )

    @OptionGroup(title: "Data") var data: DataOptions

    @OptionGroup(title: "Memory") var memory: MemoryOptions

    @OptionGroup var model: ModelOptions

    @Option(parsing: .unconditional, help: "Samples per optimizer step (the last batch of an epoch may be smaller).")
    var batchSize = 128

    @OptionGroup(title: "Optimizer") var optimizer: OptimizerOptions

    @Option(name: .customLong("start-lr"), parsing: .unconditional, help: ArgumentHelp("The rate of the first step.", valueName: "rate"))
    var startLR = 1e-7

    @Option(name: .customLong("end-lr"), parsing: .unconditional, help: ArgumentHelp("The rate of the last step.", valueName: "rate"))
    var endLR = 10.0

    @Option(parsing: .unconditional, help: "Steps of the sweep (fewer if the loss diverges).")
    var steps = 100

    @Option(parsing: .unconditional, help: ArgumentHelp("Weight of each new loss in the moving average (1 − β).", valueName: "weight"))
    var smoothing = 0.05

    @Option(parsing: .unconditional, help: "Seed of the initial weights and the batch order (as in `train`). (default: 0)", transform: parseSeed)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Worker threads (default: the number of active cores, \(WorkerPool.activeCores) here, shared among the ranks mpirun starts on a host). Does not change the result.",
        valueName: "n"))
    var workers: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Rows per micro-shard, the unit of parallel work (default: a quarter of the batch, 64 to 256).", valueName: "rows"))
    var shardSize: Int?

    @Option(help: ArgumentHelp("Write the curve as CSV: step,lr,loss,smoothed_loss.", valueName: "path"))
    var out: String?

    @Option(help: ArgumentHelp("Draw the curve as an SVG plot (log lr axis, suggestion marked).", valueName: "path"))
    var plot: String?

    @Option(help: ArgumentHelp("Also write the sweep as TensorBoard events into this folder: lr_find/lr, lr_find/loss and lr_find/smoothed_loss per step.", valueName: "dir"))
    var tensorboard: String?

    @Flag(help: "Print only the suggested rate (for scripts).")
    var quiet = false

    func run() throws {
        let ranks = try startRanks()
        try reportingErrors(ranks: ranks) { () throws in
            if optimizer.learningRate != nil {
                throw TrainingError.invalidSetting(.learningRate, "lr-find sweeps the rate itself; set the range with --start-lr and --end-lr")
            }
            var finder = LRFinder()
            (finder.startRate, finder.endRate, finder.steps, finder.smoothing) = (startLR, endLR, steps, smoothing)
            try finder.validate()
            var configuration = TrainingConfiguration()
            model.apply(to: &configuration)
            configuration.batchSize = batchSize
            configuration.optimizer = try optimizer.settings
            configuration.seed = seed
            configuration.workers = workers ?? Communicator.defaultWorkers
            configuration.shardSize = shardSize ?? TrainingConfiguration.defaultShardSize(batchSize: batchSize)
            try configuration.validate()  // flag errors before any data is read
            let writes = ranks.isReporting  // across processes rank 0 alone prints and writes
            for case let (setting, path?) in [(Setting.output, out), (.plot, plot)] where writes {
                try AtomicFile.checkWritable(path, setting: setting)
            }
            var source = try data.loaderOptions(seed: seed)
            (source.memory, source.batchSize) = (memory.request, batchSize)
            source.memoryShare = try MemoryShare.agreed(by: ranks)
            let loaded = try DatasetLoader.load(source, ranks: ranks)
            let trainer = try Trainer(configuration: configuration, data: loaded, observer: SilentObserver(), ranks: ranks)
            let say: (String) -> Void = quiet || !writes ? { _ in } : { print($0) }
            for line in loaded.notes + trainer.model.notes { say(line.withFlags) }
            say("lr-find: lr \(startLR) → \(endLR) over \(steps) steps (×\(String(format: "%.4g", pow(endLR / startLR, 1 / Double(steps - 1)))) per step), batch \(batchSize), \(trainer.engine.optimizer); on a throwaway copy of the network"
                + (ranks.isDistributed ? ", across \(RankSpread(ranks: ranks.size, hosts: ranks.hostNames).describe(workers: configuration.workers))" : ""))

            let result = try finder.run(on: trainer)
            guard writes else { return }
            for line in Self.report(result) { say(line) }
            if let report = result.readerReport { say(report) }
            if quiet, let suggestion = result.suggestion { print(Self.format(suggestion.rate)) }
            if let out {
                try writeTextFile(result.csv, to: out, what: "the curve")
                say("curve: \(out)")
            }
            if let plot {
                try Self.plot(result, finder: finder).write(to: plot)
                say("plot: \(plot)")
            }
            if let tensorboard {
                say("tensorboard: \(try Self.writeEvents(result, to: tensorboard))")
            }
        }
    }

    /// What the sweep found, in words.
    static func report(_ result: LRFinderResult) -> [String] {
        var lines: [String] = []
        if let step = result.divergedAtStep, let point = result.points.last {
            lines.append("stopped at step \(step) of \(result.plannedSteps) (lr \(format(point.learningRate))): the smoothed loss \(format(point.smoothedLoss)) passed \(format(LRFinder.divergenceFactor))× its best")
        } else {
            lines.append("ran all \(result.plannedSteps) steps without diverging (raise --end-lr to see where training breaks down)")
        }
        if let steepest = result.steepest {
            lines.append("steepest descent of the smoothed loss: lr \(format(steepest.rate)) (step \(steepest.point.step), smoothed loss \(format(steepest.point.smoothedLoss)))")
        }
        if let minimum = result.minimumOverTen {
            lines.append("minimum of the smoothed loss: lr \(format(minimum.point.learningRate)) (step \(minimum.point.step), smoothed loss \(format(minimum.point.smoothedLoss))); ÷ 10 = \(format(minimum.rate))")
        }
        if let suggestion = result.suggestion {
            lines.append("suggested learning rate: \(format(suggestion.rate)) (\(suggestion.rule.rawValue))")
        } else {
            lines.append("no suggestion: the loss was not finite; lower --start-lr or check the data")
        }
        return lines
    }

    /// The curve on a log lr axis: raw loss (where it stays in range) and smoothed loss, with both
    /// rules' rates marked.
    static func plot(_ result: LRFinderResult, finder: LRFinder) -> SVGPlot {
        var plot = SVGPlot(title: "LR range test: \(result.points.count) steps, lr \(format(finder.startRate)) → \(format(finder.endRate))",
                           xLabel: "learning rate (log scale)", yLabel: "training loss")
        plot.logX = true
        // Up to 1.5 × the starting loss: the diverging tail leaves the frame instead of flattening the curve.
        plot.leftMaximum = result.points.first.map { 1.5 * $0.smoothedLoss }.flatMap { $0.isFinite ? $0 : nil }
        plot.series.append(SVGPlot.Series(label: "loss", points: result.points.map {
            SVGPlot.Point(x: $0.learningRate, y: $0.loss)
        }, color: "#aec7e8"))
        plot.series.append(SVGPlot.Series(label: "smoothed loss", points: result.points.map {
            SVGPlot.Point(x: $0.learningRate, y: $0.smoothedLoss)
        }, color: "#1f77b4"))
        if let alternative = result.minimumOverTen, alternative.rule != result.suggestion?.rule,
           let near = result.points.min(by: { abs(log($0.learningRate / alternative.rate)) < abs(log($1.learningRate / alternative.rate)) }) {
            plot.markers.append(SVGPlot.Marker(point: SVGPlot.Point(x: alternative.rate, y: near.smoothedLoss),
                                               label: "min ÷ 10: \(format(alternative.rate))"))
        }
        if let suggestion = result.suggestion {
            let y = suggestion.rule == .steepestDescent ? suggestion.point.smoothedLoss
                : (result.points.min { abs(log($0.learningRate / suggestion.rate)) < abs(log($1.learningRate / suggestion.rate)) }?.smoothedLoss ?? suggestion.point.smoothedLoss)
            plot.markers.append(SVGPlot.Marker(point: SVGPlot.Point(x: suggestion.rate, y: y),
                                               label: "suggested \(format(suggestion.rate))"))
        }
        return plot
    }

    /// Writes the sweep's rate, loss and smoothed loss at every step into a new event file in
    /// `folder`; returns the file's path.
    static func writeEvents(_ result: LRFinderResult, to folder: String) throws(TrainingError) -> String {
        do {
            let writer = try TensorBoardWriter(directory: folder)
            for point in result.points {
                try writer.scalar(tag: "lr_find/lr", value: point.learningRate, step: point.step)
                try writer.scalar(tag: "lr_find/loss", value: point.loss, step: point.step)
                try writer.scalar(tag: "lr_find/smoothed_loss", value: point.smoothedLoss, step: point.step)
            }
            try writer.close()
            return writer.path
        } catch {
            throw .output(path: error.path, message: "--tensorboard: \(error.reason)")
        }
    }

    /// Four significant digits.
    static func format(_ value: Double) -> String { String(format: "%.4g", value) }
}
