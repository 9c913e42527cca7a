import Data
import HDF5
import Settings

/// The checkpoint's /normalization group: how features are transformed before the network sees
/// them, with the training set's statistics.
///
///     /normalization   kind (none|scale|standardize), factor; mean, std float32 (features)
enum NormalizationSection {
    static func write(_ normalization: Normalization, to group: Group) throws(HDF5Error) {
        switch normalization {
        case .none:
            try group.setAttribute("kind", "none")
        case .scale(let factor):
            try group.setAttribute("kind", "scale")
            try group.setAttribute("factor", Double(factor))
        case .standardize(let mean, let std):
            try group.setAttribute("kind", "standardize")
            _ = try group.createDataset("mean", shape: [mean.count], values: mean)
            _ = try group.createDataset("std", shape: [std.count], values: std)
        }
    }

    /// The stored normalisation for a model of `features` inputs.
    static func read(_ group: Group, features: Int, path: String) throws -> Normalization {
        func invalid(_ message: String) -> TrainingError { .checkpoint(path: path, message: message) }
        switch try group.stringAttribute("kind") {
        case "none": return .none
        case "scale": return .scale(factor: Float(try group.doubleAttribute("factor")))
        case "standardize":
            let mean = try group.dataset("mean").read(Float.self)
            let std = try group.dataset("std").read(Float.self)
            guard mean.count == features, std.count == features else {
                throw invalid("/normalization: mean/std have \(mean.count)/\(std.count) values for \(features) features")
            }
            return .standardize(mean: mean, std: std)
        case let other: throw invalid("/normalization: unknown kind '\(other)'")
        }
    }
}
