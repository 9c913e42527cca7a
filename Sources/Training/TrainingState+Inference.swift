import Data
import DataParallel
import NeuralNet
import Optimizers
import Settings

extension TrainingState {
    /// Forward passes with this checkpoint's parameters, for evaluation and prediction.
    public func makePredictor(workers: Int) -> Predictor {
        Predictor(architecture: model.architecture, loss: model.loss, parameters: parameters, workers: workers)
    }

    /// Reads features (and targets, when `source.y` is non-empty) for this model, checks they fit it,
    /// and applies the stored normalisation.
    public func loadSamples(_ source: DataSource) throws(TrainingError) -> SampleSet {
        let x = try DatasetLoader.readFeatures(source)
        let inputs = model.architecture.inputSize
        guard x.featureCount == inputs else {
            throw .invalidData(file: source.file, dataset: source.x,
                               message: "has \(x.featureCount) features per row (shape \(x.shape)); the checkpoint's model takes \(inputs)")
        }
        var features = x.values
        normalization.apply(to: &features, featureCount: inputs)
        guard !source.y.isEmpty else {
            let width = model.loss.usesClassIndices ? 1 : model.architecture.outputSize
            return SampleSet(features: features, targets: [Float](repeating: 0, count: x.rows * width),
                             featureCount: inputs, targetWidth: width)
        }
        let y = try targets(source, rows: x.rows)
        return SampleSet(features: features, targets: y.values, featureCount: inputs, targetWidth: y.targetWidth)
    }

    /// The targets of `source` (rows of them), checked against what this model predicts.
    func targets(_ source: DataSource, rows: Int) throws(TrainingError) -> Targets {
        let outputs = model.architecture.outputSize
        let y = try DatasetLoader.readTargets(source, rows: rows, task: model.task,
                                              classCount: model.task == .classification ? outputs : nil)
        guard model.task == .classification || y.outputSize == outputs else {
            throw .invalidData(file: source.file, dataset: source.y,
                               message: "has \(y.outputSize) target columns; the checkpoint's model predicts \(outputs)")
        }
        return y
    }
}
