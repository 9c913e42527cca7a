import HDF5
import Settings

/// The checks every reader of features applies (training, validation, evaluation, prediction), so
/// each problem gets the same one-line message wherever the features come from.
public enum FeatureChecks {
    /// Rows and features per row of a dataset of `shape` (trailing dimensions flattened); throws
    /// when it holds no row or rows without features.
    public static func rowsAndFeatures(of shape: [Int], file: String, dataset: String) throws(TrainingError) -> (rows: Int, features: Int) {
        let rows = shape.first ?? 0, features = shape.dropFirst().reduce(1, *)
        guard rows > 0, features > 0 else {
            throw .invalidData(file: file, dataset: dataset, message: "is empty (shape \(shape)); expected at least one row of features")
        }
        return (rows, features)
    }

    /// Throws naming the first row that holds NaN or ±∞; `firstRow` is the dataset row of `values[0]`.
    public static func requireFinite(_ values: [Float], features: Int, firstRow: Int = 0,
                                     file: String, dataset: String) throws(TrainingError) {
        guard let bad = values.firstIndex(where: { !$0.isFinite }) else { return }
        throw .invalidData(file: file, dataset: dataset,
                           message: "row \(firstRow + bad / features) holds \(values[bad]); features must be finite numbers")
    }
}
