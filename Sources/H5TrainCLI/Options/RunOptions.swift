import Settings
import ArgumentParser
import Checkpoint
import Data
import DataParallel
import NeuralNet
import Optimizers
import Training

/// Every flag that shapes a training run (model, optimizer, schedule, gradient health, parallel
/// layout, checkpoints, output), shared by `train` and `explain` so both read them the same way.
struct RunOptions: ParsableArguments {
    @OptionGroup var model: ModelOptions

    @Option(parsing: .unconditional, help: "Total number of passes over the training data; 0 saves the initialised model to --checkpoint and stops.")
    var epochs = 10

    @Option(parsing: .unconditional, help: "Samples per optimizer step (the last batch of an epoch may be smaller).")
    var batchSize = 128

    @OptionGroup(title: "Optimizer") var optimizer: OptimizerOptions

    @OptionGroup(title: "Learning-rate schedule") var schedule: ScheduleOptions

    @OptionGroup(title: "Gradient health and early stopping") var health: HealthOptions

    @Option(parsing: .unconditional, help: "Seed of every random choice (initial weights, shuffling, --val-split), 0 to 2⁶⁴ − 1. (default: 0)", transform: parseSeed)
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Worker threads (default: the number of active cores, \(WorkerPool.activeCores) here, shared among the ranks mpirun starts on a host). Does not change the result.",
        valueName: "n"))
    var workers: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Rows per micro-shard, the unit of parallel work (default: a quarter of the batch, 64 to 256). Changes the float summation order, not the maths.",
        valueName: "rows"))
    var shardSize: Int?

    @OptionGroup(title: "Checkpoints and resuming") var checkpoints: CheckpointOptions

    @Option(help: ArgumentHelp("Write one CSV row per epoch (epoch, losses, accuracy, lr, samples/s, seconds) to this file.", valueName: "path"))
    var metrics: String?

    @Flag(help: "Print nothing but errors (explain: only its warnings).")
    var quiet = false

    var trainingConfiguration: TrainingConfiguration {
        get throws(TrainingError) { try makeTrainingConfiguration() }
    }

    private func makeTrainingConfiguration() throws(TrainingError) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        model.apply(to: &config)
        config.epochs = epochs
        config.batchSize = batchSize
        config.learningRate = optimizer.learningRate
        config.optimizer = try optimizer.settings
        config.schedule = try schedule.settings
        health.apply(to: &config)
        config.seed = seed
        config.workers = workers ?? Communicator.defaultWorkers
        config.shardSize = shardSize ?? TrainingConfiguration.defaultShardSize(batchSize: batchSize)
        checkpoints.apply(to: &config)
        config.metricsPath = metrics
        return config
    }

}
