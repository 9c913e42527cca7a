import ArgumentParser
import Checkpoint
import DataParallel
import HDF5
import NeuralNet
import Settings
import Training

/// `h5train export --keras`: a checkpoint's weights in the Keras legacy HDF5 weights layout.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a checkpoint's weights for Keras (legacy HDF5 weights file).",
        discussion: """
        Writes one group per Dense layer, dense_0, dense_1, …, each with the kernel (inputs × outputs, \
        the transpose of the checkpoint's weight) and bias, and the layer_names / weight_names \
        attributes Keras' load_weights reads. Build the same stack of Dense layers (the activations are \
        printed, and stored in the file as h5train_activations) and call model.load_weights(OUT). \
        Inputs must be normalised as the checkpoint says (see h5train inspect). \
        tools/check-keras-export.py compares the export with h5train predict.
        """
    )

    @Option(help: ArgumentHelp("Checkpoint to export.", valueName: "path"))
    var keras: String

    @Argument(help: ArgumentHelp("HDF5 weights file to write.", valueName: "out.h5"))
    var output: String

    func run() throws {
        // The output is the OUT argument here, not a flag.
        try reportingErrors(spelling: { $0 == .output ? "OUT" : $0.flag }) { () throws(TrainingError) in
            let checkpoint = try TrainingState.read(from: keras)
            try KerasExport.write(checkpoint, checkpointPath: keras, to: output)
            let layers = checkpoint.model.architecture.layers.enumerated().map { index, layer in
                let activation = KerasExport.kerasActivation(layer.activation).map { "'\($0)'" }
                    ?? "None, then \(layer.activation) (no Keras activation string)"
                return "\(KerasExport.layerName(index)): Dense(\(layer.outputs), activation=\(activation))"
            }
            print("wrote \(output): \(layers.count) Dense layer\(layers.count == 1 ? "" : "s"), input \(checkpoint.model.architecture.inputSize)")
            for line in layers { print("  " + line) }
            print("  normalisation the inputs need: \(checkpoint.normalization)")
        }
    }
}
