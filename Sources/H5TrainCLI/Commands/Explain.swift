import ArgumentParser
import Checkpoint
import Data
import DataParallel
import NeuralNet
import Optimizers
import Settings
import Training

/// `h5train explain`: what `train` would do with the same flags — the network, every component's
/// formula and values, and warnings — without training.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain what `train` would do with the same flags: network, formulas, values, warnings.",
        discussion: """
        Takes every flag of `train` and prints, without training: each layer (in→out, activation, \
        parameters), the total parameters, FLOP per sample and per step, the memory of parameters \
        and optimizer state; the formulas of the activation, output and loss, the initialiser of \
        each layer with its actual bound or σ, the optimizer's update rule with every \
        hyper-parameter (and which are PyTorch's defaults), the learning-rate schedule with its \
        first, peak and last rates, gradient clipping, the NaN policy, workers and shards; and \
        warnings (symmetric initialisation, vanishing gradients). Refuses what `train` refuses.

        With --data only the shapes are read (and Y, to count classes); without data give the \
        widths: --inputs N --outputs K [--task classification|regression].

        Example (MNIST-sized, no data needed):
          h5train explain --inputs 784 --outputs 10 --hidden 512,256
                          --optimizer adam --schedule onecycle --lr 0.01
                          --epochs 5 --steps-per-epoch 469
        """
    )

    @OptionGroup(title: "Data") var data: DataOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Input width (features per row), when no --data is given.", valueName: "n"))
    var inputs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Output width (classes, or regression targets), when no --data is given.", valueName: "k"))
    var outputs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Optimizer steps per epoch (default: ⌈training rows / batch size⌉ from --data).", valueName: "n"))
    var stepsPerEpoch: Int?

    @OptionGroup var options: RunOptions

    func run() throws {
        guard runsInThisProcess("explain") else { return }
        try reportingErrors { () throws(TrainingError) in
            if options.checkpoints.resume != nil {
                throw .invalidSetting(.resume, "explain describes a new run from its flags; `h5train inspect CHECKPOINT` describes a saved one")
            }
            let configuration = try options.trainingConfiguration
            try configuration.validate()  // flag errors before any data is read
            let lines = try Explanation.lines(configuration: configuration, shape: try dataShape(seed: configuration.seed),
                                              stepsPerEpoch: stepsPerEpoch)
            for line in lines where !options.quiet || line.hasPrefix("warning:") { print(line) }
        }
    }

    /// The widths and task: read from --data, or given by --inputs/--outputs/--task.
    private func dataShape(seed: UInt64) throws(TrainingError) -> DataShape {
        func fail(_ setting: Setting, _ message: SettingText) -> TrainingError { .invalidSetting(setting, message) }
        if data.data != nil {
            if inputs != nil || outputs != nil {
                throw fail(inputs != nil ? .inputs : .outputs, "the widths come from --data; give either --data or --inputs/--outputs")
            }
            return try DataShape.read(data.loaderOptions(seed: seed))
        }
        guard let inputs else { throw fail(.inputs, "missing: give the input width (--inputs N --outputs K) or the training data (--data FILE)") }
        guard let outputs else { throw fail(.outputs, "missing: give the output width, the number of classes or regression targets (--outputs K)") }
        let loss = options.model.loss.flatMap(Loss.init(name:))
        let task = data.task.flatMap(TaskKind.init(rawValue:)) ?? (loss.map { $0.usesClassIndices ? .classification : .regression } ?? .classification)
        let how = data.task != nil ? "--task" : loss != nil ? "inferred from --loss" : "the default; --task regression for real-valued targets"
        return DataShape(inputs: inputs, outputs: outputs, task: task,
                         notes: [SettingText("data: none read; --inputs \(inputs), --outputs \(outputs), task \(task.rawValue) (\(how))")])
    }
}
