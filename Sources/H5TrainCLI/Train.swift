import ArgumentParser
import Foundation
import DataParallel
import NeuralNet
import Training

/// `h5train train`: fit a network to an HDF5 dataset and save it as a checkpoint.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network on an HDF5 dataset.",
        discussion: """
        Each minibatch is cut into micro-shards of --shard-size rows. The workers run the shards' \
        forward and backward passes in parallel, then compute fixed blocks of the batch-mean gradient \
        and apply SGD with momentum to them. For a given --seed the result is bit-for-bit the same for \
        any --workers.

        Example (MNIST, 784-512-256-10, ReLU):
          h5train train --data mnist.h5 --val-x x_test --val-y y_test
                        --hidden 512,256 --epochs 5 --lr 0.05 --momentum 0.9
                        --checkpoint mnist.ckpt.h5
        """
    )

    @OptionGroup(title: "Data") var data: DataOptions

    @OptionGroup var model: ModelOptions

    @Option(parsing: .unconditional, help: "Total number of passes over the training data.")
    var epochs = 10

    @Option(parsing: .unconditional, help: "Samples per optimizer step (the last batch of an epoch may be smaller).")
    var batchSize = 128

    @OptionGroup(title: "Optimizer") var optimizer: OptimizerOptions

    @OptionGroup(title: "Learning-rate schedule") var schedule: ScheduleOptions

    @OptionGroup(title: "Gradient health and early stopping") var health: HealthOptions

    @Option(help: "Seed of every random choice (initial weights, shuffling, --val-split).")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Worker threads (default: the number of active cores, \(WorkerPool.activeCores) here). Does not change the result.",
        valueName: "n"))
    var workers: Int?

    @Option(parsing: .unconditional, help: "Rows per micro-shard, the unit of parallel work. Changes the float summation order, not the maths.")
    var shardSize = 64

    @OptionGroup(title: "Checkpoints and resuming") var checkpoints: CheckpointOptions

    @Option(help: ArgumentHelp("Write one CSV row per epoch (epoch, losses, accuracy, lr, samples/s, seconds) to this file.", valueName: "path"))
    var metrics: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    var trainingConfiguration: TrainingConfiguration {
        var config = TrainingConfiguration()
        model.apply(to: &config)
        config.epochs = epochs
        config.batchSize = batchSize
        config.learningRate = optimizer.learningRate
        config.optimizer = optimizer.settings
        config.schedule = schedule.settings
        health.apply(to: &config)
        config.seed = seed
        config.workers = workers ?? WorkerPool.activeCores
        config.shardSize = shardSize
        checkpoints.apply(to: &config)
        config.metricsPath = metrics
        return config
    }

    func run() throws {
        try reportingErrors { () throws(TrainingError) in
            let trainer: Trainer
            if let path = checkpoints.resume {
                trainer = try resumedTrainer(from: path)
            } else {
                let configuration = trainingConfiguration
                try configuration.validate()  // flag errors before any data is read
                let options = try data.loaderOptions(seed: configuration.seed)
                trainer = try Trainer(configuration: configuration, data: try DatasetLoader.load(options),
                                      observer: ConsoleReporter.automatic(quiet: quiet))
                trainer.dataOptions = options
            }
            let stop = StopRequest()
            let interrupts = InterruptHandler(stop: stop)
            defer { withExtendedLifetime(interrupts) {} }
            _ = try trainer.run(stop: stop)
        }
    }
}
