import ArgumentParser
import Checkpoint
import Data
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import RunLogs
import Settings
import Training

/// `train --tensorboard DIR` and `train --plot PATH`: the run's curves, as it goes.
struct RunLogOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Write TensorBoard event files into this folder (created if needed): per step the loss, \
        learning rate, momentum when it cycles and gradient norm; per epoch the losses, validation \
        accuracy or MAE, samples/s, and histograms of every layer's weights and gradients; the run's \
        settings as text. View with: tensorboard --logdir DIR
        """, valueName: "dir"))
    var tensorboard: String?

    @Option(help: ArgumentHelp("""
        Rewrite this SVG after every epoch: training and validation loss, validation accuracy (or \
        MAE), and the learning rate on its own axis. `h5train plot` draws it afterwards.
        """, valueName: "path"))
    var plot: String?

    /// Adds the requested observers to `observers`; returns what must be closed after the run.
    func attach(to observers: ObserverList, trainer: Trainer) throws(TrainingError) -> TensorBoardObserver? {
        if let plot {
            try AtomicFile.checkWritable(plot, setting: .plot)
            let title = "\(trainer.model.architecture.layers.map { "\($0.inputs)" }.joined(separator: "-"))-\(trainer.data.outputSize) network"
            observers.add(RunPlotObserver(path: plot, title: title, history: trainer.progress.history))
            observers.note("plot: \(plot) (rewritten after every epoch)")
        }
        guard let tensorboard else { return nil }
        let writer: TensorBoardWriter
        do {
            writer = try TensorBoardWriter(directory: tensorboard)
        } catch {
            throw .output(path: tensorboard, message: SettingText("--tensorboard: \(error.reason)"))
        }
        let observer = TensorBoardObserver(writer: writer, architecture: trainer.model.architecture,
                                           stepsPerEpoch: trainer.stepsPerEpoch, cyclesMomentum: trainer.schedulesMomentum,
                                           configuration: Self.configurationText(trainer))
        observers.add(observer)
        observers.note("tensorboard: \(writer.path)")
        return observer
    }

    /// Markdown for TensorBoard's text tab: the command line, then what `explain` says of the run.
    static func configurationText(_ trainer: Trainer) -> String {
        let command = CommandLine.arguments.dropFirst().joined(separator: " ")
        let shape = DataShape(inputs: trainer.data.train.featureCount, outputs: trainer.data.outputSize, task: trainer.data.task,
                              trainingRows: trainer.data.trainingRows, notes: trainer.data.notes)
        let lines = (try? Explanation.lines(configuration: trainer.configuration, shape: shape)) ?? []
        return "    h5train \(command)\n\n" + lines.map { "    " + $0 }.joined(separator: "\n")
    }
}
