import Data
import DataParallel
import NeuralNet
import Settings

extension TrainingConfiguration {
    /// `label_smoothing` and `class_weights` as the loss takes them.
    public var crossEntropyOptions: CrossEntropyOptions {
        CrossEntropyOptions(labelSmoothing: labelSmoothing, classWeights: classWeights)
    }

    /// The loss a run trains with: `loss`, or the task's default (cross-entropy for classes, MSE
    /// for regression), with `label_smoothing` and `class_weights` applied to cross-entropy.
    ///
    /// - Throws: `TrainingError.invalidSetting` naming the setting when smoothing or weights are given
    ///   for another loss, or when the weights are not one per class.
    public func resolvedLoss(task: TaskKind, classes: Int) throws(TrainingError) -> Loss {
        let loss = self.loss ?? (task == .classification ? .softmaxCrossEntropy : .meanSquaredError)
        let options = crossEntropyOptions
        guard !options.isStandard else { return loss }
        guard case .softmaxCrossEntropy = loss else {
            throw .invalidSetting(classWeights != nil ? .classWeights : .labelSmoothing, "applies to cross-entropy (classification) only; the loss is \(loss)")
        }
        // A regression with cross-entropy is refused by the caller, naming loss.
        if task == .classification, let weights = classWeights, weights.count != classes {
            throw .invalidSetting(.classWeights, "needs one weight per class: got \(weights.count) weight\(weights.count == 1 ? "" : "s") for \(classes) classes")
        }
        return loss.withCrossEntropyOptions(options)
    }
}
