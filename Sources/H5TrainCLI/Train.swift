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

    @Option(help: ArgumentHelp("Hidden layer widths, input side first, comma-separated; 'none' for no hidden layer.", valueName: "n,n,…"))
    var hidden = "128"

    @Option(help: ArgumentHelp("Hidden-layer activation: relu, leaky_relu[:slope], tanh, sigmoid, identity (softmax, step are output-only).", valueName: "name"))
    var activation = "relu"

    @Option(name: .customLong("init"), help: ArgumentHelp("""
        Weight initialiser: he_normal, he_uniform, glorot_uniform, glorot_normal, xavier (U[±1/√n]), \
        lecun_normal, lecun_uniform, zeros, constant:V, uniform:A,B, normal:MEAN,STD. \
        Default: he_normal for ReLU layers, glorot_uniform otherwise.
        """, valueName: "name"))
    var initializer: String?

    @Option(help: ArgumentHelp("Loss: cross_entropy (classification default), nll, mse (regression default), l1, huber[:delta], bce.", valueName: "name"))
    var loss: String?

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

    @Option(help: ArgumentHelp("Write the trained model here (HDF5), atomically: an existing file is replaced whole or not at all.", valueName: "path"))
    var checkpoint: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Also write the checkpoint every this many epochs.", valueName: "epochs"))
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Write one CSV row per epoch (epoch, losses, accuracy, lr, samples/s, seconds) to this file.", valueName: "path"))
    var metrics: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        guard hiddenWidths != nil else { throw ValidationError("--hidden must be comma-separated positive integers like 512,256 (or 'none'), got '\(hidden)'") }
        guard Activation(name: activation) != nil else { throw ValidationError("--activation: unknown activation '\(activation)'") }
        if let initializer, Initializer(name: initializer) == nil { throw ValidationError("--init: unknown initialiser '\(initializer)'") }
        if let loss, Loss(name: loss) == nil { throw ValidationError("--loss: unknown loss '\(loss)'") }
    }

    private var hiddenWidths: [Int]? {
        if hidden == "none" { return [] }
        let widths = hidden.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard widths.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return widths.compactMap { $0 }
    }

    var trainingConfiguration: TrainingConfiguration {
        var config = TrainingConfiguration()
        config.hidden = hiddenWidths ?? []
        config.activation = Activation(name: activation) ?? .relu
        config.initializer = initializer.flatMap(Initializer.init(name:))
        config.loss = loss.flatMap(Loss.init(name:))
        config.epochs = epochs
        config.batchSize = batchSize
        config.learningRate = optimizer.learningRate
        config.optimizer = optimizer.settings
        config.schedule = schedule.settings
        health.apply(to: &config)
        config.seed = seed
        config.workers = workers ?? WorkerPool.activeCores
        config.shardSize = shardSize
        config.checkpointPath = checkpoint
        config.checkpointEvery = checkpointEvery
        config.metricsPath = metrics
        return config
    }

    func run() throws {
        try reportingErrors { () throws(TrainingError) in
            let configuration = trainingConfiguration
            try configuration.validate()  // flag errors before any data is read
            let loaded = try DatasetLoader.load(data.loaderOptions(seed: configuration.seed))
            let trainer = try Trainer(configuration: configuration, data: loaded, observer: ConsoleReporter.automatic(quiet: quiet))
            _ = try trainer.run()
        }
    }
}
