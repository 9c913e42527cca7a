import Checkpoint
import Data
import Foundation
import NeuralNet
import Training

/// Small networks with known parameters, built without training.
enum ExportFixtures {
    /// A checkpoint of `widths` (input first) with one activation per layer; parameter k in
    /// PyTorch's order (W₀ outputs × inputs, b₀, W₁, …) is `value(k)`.
    static func checkpoint(widths: [Int], activations: [Activation], task: TaskKind,
                           normalization: Normalization = .none) -> TrainingState {
        precondition(widths.count == activations.count + 1)
        let layers = activations.indices.map { LayerSpec(inputs: widths[$0], outputs: widths[$0 + 1], activation: activations[$0]) }
        let architecture = NetworkArchitecture(layers: layers)
        let pytorch = (0..<architecture.parameterCount).map(value)
        let model = ModelDescription(architecture: architecture, loss: task == .classification ? .softmaxCrossEntropy : .meanSquaredError,
                                     task: task, initializers: layers.map { Initializer.defaultFor($0.activation) })
        return TrainingState(model: model, normalization: normalization, parameters: architecture.internalOrder(fromPyTorch: pytorch),
                          optimizerState: [], epoch: 0, step: 0, configuration: nil)
    }

    /// Parameter k in PyTorch's order: distinct values in (−0.6, 0.6).
    static func value(_ k: Int) -> Float { Float(0.6 * sin(0.7 * Double(k) + 0.3)) }

    /// Raw feature rows (rows × features) spread over ±3 around `center`.
    static func features(rows: Int, features: Int, center: Float = 0) -> [Float] {
        (0..<(rows * features)).map { center + Float(3 * cos(1.3 * Double($0) + 0.1)) }
    }

    /// What `h5train predict` computes for raw feature rows: normalisation, the engine, probabilities.
    static func predictions(_ checkpoint: TrainingState, raw: [Float], rows: Int) -> [Float] {
        var features = raw
        checkpoint.normalization.apply(to: &features, featureCount: checkpoint.model.architecture.inputSize)
        return checkpoint.predictions(normalized: features, rows: rows, predictor: checkpoint.makePredictor(workers: 1))
    }
}
