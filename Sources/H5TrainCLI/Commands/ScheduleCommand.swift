import ArgumentParser
import Checkpoint
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings
import Training

/// `h5train schedule`: the learning rate (and cycled momentum) of every step of a schedule, without
/// training: as CSV, and optionally as an SVG plot.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Print or plot a learning-rate schedule, step by step, without training.",
        discussion: """
        Takes the schedule and optimizer flags of `train` and prints `step,lr` (plus `momentum` when \
        the schedule cycles it) for every optimizer step, exactly the values training would use. Give \
        the run's length as --steps, or as --epochs and --steps-per-epoch (steps per epoch = \
        ⌈training rows / batch size⌉). With --steps alone an epoch is one step. plateau shows its rate \
        before any reduction (reductions depend on the loss).

        Example (MNIST: 60,000 rows, batch 128):
          h5train schedule --schedule onecycle --lr 0.1 --epochs 3
                           --steps-per-epoch 469 --plot onecycle.svg
        """
    )

    @OptionGroup(title: "Optimizer") var optimizer: OptimizerOptions

    @OptionGroup(title: "Learning-rate schedule") var schedule: ScheduleOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("The run's length in optimizer steps.", valueName: "n"))
    var steps: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("The run's length in epochs (with --steps-per-epoch).", valueName: "n"))
    var epochs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Optimizer steps per epoch (default 1 with --steps).", valueName: "n"))
    var stepsPerEpoch: Int?

    @Option(parsing: .unconditional, help: "Samples per step; used only by --scale-lr-by-batch.")
    var batchSize = 128

    @Option(help: ArgumentHelp("Write the CSV here instead of standard output.", valueName: "path"))
    var out: String?

    @Option(help: ArgumentHelp("Also draw the schedule as an SVG line plot (momentum on a second axis).", valueName: "path"))
    var plot: String?

    /// The most points drawn per line; longer runs are sampled evenly (the CSV keeps every step).
    static let plotPoints = 4000

    func run() throws {
        guard runsInThisProcess("schedule") else { return }
        try reportingErrors { () throws(TrainingError) in
            let (total, perEpoch) = try runLength()
            var configuration = TrainingConfiguration()
            configuration.learningRate = optimizer.learningRate
            configuration.optimizer = try optimizer.settings
            configuration.schedule = try schedule.settings
            configuration.batchSize = batchSize
            try configuration.validate()  // --lr, --batch-size, the optimizer and the schedule
            for case let (setting, path?) in [(Setting.output, out), (.plot, plot)] { try AtomicFile.checkWritable(path, setting: setting) }
            let rates = configuration.schedule.makeSchedule(rate: configuration.resolvedLearningRate, stepsPerEpoch: perEpoch,
                                                            totalSteps: total, batchSize: batchSize)
            let csv = Self.csv(rates, steps: total)
            if let out {
                try writeTextFile(csv, to: out, what: "the CSV")
                print("\(total) steps of \(rates) → \(out)")
            } else {
                FileHandle.standardOutput.write(Data(csv.utf8))
            }
            if let plot {
                try Self.plot(rates, steps: total, name: configuration.schedule.kind.rawValue).write(to: plot)
                if out != nil { print("plot: \(plot)") }
            }
        }
    }

    /// (total steps, steps per epoch) from --steps, --epochs and --steps-per-epoch.
    private func runLength() throws(TrainingError) -> (Int, Int) {
        func fail(_ setting: Setting, _ message: SettingText) -> TrainingError { .invalidSetting(setting, message) }
        if let stepsPerEpoch, stepsPerEpoch < 1 { throw fail(.stepsPerEpoch, "must be at least 1, got \(stepsPerEpoch)") }
        switch (steps, epochs) {
        case (let steps?, nil):
            guard steps >= 1 else { throw fail(.steps, "must be at least 1, got \(steps)") }
            return (steps, stepsPerEpoch ?? 1)
        case (nil, let epochs?):
            guard epochs >= 1 else { throw fail(.epochs, "must be at least 1, got \(epochs)") }
            guard let stepsPerEpoch else { throw fail(.epochs, "needs --steps-per-epoch N (⌈training rows / batch size⌉)") }
            let (total, overflow) = epochs.multipliedReportingOverflow(by: stepsPerEpoch)
            guard !overflow else { throw fail(.epochs, "\(epochs) × \(stepsPerEpoch) steps is too many") }
            return (total, stepsPerEpoch)
        case (nil, nil):
            throw fail(.steps, "give the run's length: --steps N, or --epochs E with --steps-per-epoch S")
        case (_?, _?):
            throw fail(.steps, "give --steps or --epochs, not both")
        }
    }

    /// `step,lr[,momentum]` for steps 0 ..< `steps`.
    static func csv(_ schedule: any LearningRateSchedule, steps: Int) -> String {
        let cycles = schedule.momentum(atStep: 0) != nil
        var text = cycles ? "step,lr,momentum\n" : "step,lr\n"
        for k in 0..<steps {
            text += "\(k),\(schedule.learningRate(atStep: k))"
            if cycles { text += ",\(schedule.momentum(atStep: k).map { "\($0)" } ?? "")" }
            text += "\n"
        }
        return text
    }

    /// The schedule as a plot: lr on the left axis, momentum (if cycled) on the right.
    static func plot(_ schedule: any LearningRateSchedule, steps: Int, name: String) -> SVGPlot {
        let stride = max(1, (steps + plotPoints - 1) / plotPoints)
        var sampled = Array(Swift.stride(from: 0, to: steps, by: stride))
        if sampled.last != steps - 1 { sampled.append(steps - 1) }
        var plot = SVGPlot(title: "\(name) learning-rate schedule, \(steps) steps", xLabel: "optimizer step", yLabel: "learning rate")
        plot.leftIncludesZero = true
        plot.series.append(SVGPlot.Series(label: "lr", points: sampled.map {
            SVGPlot.Point(x: Double($0), y: Double(schedule.learningRate(atStep: $0)))
        }))
        if schedule.momentum(atStep: 0) != nil {
            plot.rightYLabel = "momentum"
            plot.series.append(SVGPlot.Series(label: "momentum", points: sampled.compactMap { k in
                schedule.momentum(atStep: k).map { SVGPlot.Point(x: Double(k), y: Double($0)) }
            }, axis: .right))
        }
        return plot
    }
}
