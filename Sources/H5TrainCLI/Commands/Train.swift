import ArgumentParser
import Checkpoint
import Data
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings
import Training

/// `h5train train`: fit a network to an HDF5 dataset and save it as a checkpoint.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network on an HDF5 dataset.",
        discussion: """
        Each minibatch is cut into micro-shards of --shard-size rows. The workers run the shards' \
        forward and backward passes in parallel, then compute fixed blocks of the batch-mean gradient \
        and apply the optimizer (--optimizer, SGD with momentum by default) to them. For a given --seed \
        the result is bit-for-bit the same for any --workers, and for any number of processes \
        under Open MPI (mpirun -np 2 h5train train …: each step is spread over every rank's workers). \
        Data larger than memory streams from its file through --memory-budget.

        Example (MNIST, 784-512-256-10, ReLU):
          h5train train --data mnist.h5 --val-x x_test --val-y y_test
                        --hidden 512,256 --epochs 5 --lr 0.05 --momentum 0.9
                        --checkpoint mnist.ckpt.h5
        """
    )

    @OptionGroup(title: "Data") var data: DataOptions

    @OptionGroup(title: "Memory") var memory: MemoryOptions

    @OptionGroup var options: RunOptions

    @OptionGroup(title: "Run logs") var logs: RunLogOptions

    @OptionGroup(title: "Kernels") var kernels: KernelOptions

    func run() throws {
        let ranks = try startRanks()
        try reportingErrors(ranks: ranks) { () throws in
            try kernels.select()
            let trainer: Trainer
            let observers = ObserverList()
            if let path = options.checkpoints.resume {
                trainer = try resumedTrainer(from: path, observers: observers, ranks: ranks)
            } else {
                let configuration = try options.trainingConfiguration
                try configuration.validate()  // flag errors before any data is read
                var source = try data.loaderOptions(seed: configuration.seed)
                (source.memory, source.batchSize) = (memory.request, configuration.batchSize)
                source.memoryShare = try MemoryShare.agreed(by: ranks)
                observers.add(ConsoleReporter.automatic(quiet: options.quiet || !ranks.isReporting, spelling: \.flag))
                trainer = try Trainer(configuration: configuration, data: try DatasetLoader.load(source, ranks: ranks), observer: observers,
                                      stateWriter: CheckpointWriter(), ranks: ranks)
                trainer.dataOptions = source
            }
            let tensorBoard = ranks.isReporting ? try logs.attach(to: observers, trainer: trainer) : nil
            defer { tensorBoard?.close() }
            let stop = StopRequest()
            let interrupts = InterruptHandler(stop: stop, announce: ranks.isReporting)
            defer { withExtendedLifetime(interrupts) {} }
            _ = try trainer.run(stop: stop)
        }
    }
}
