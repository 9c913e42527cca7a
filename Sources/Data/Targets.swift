import HDF5
import Settings

/// Y as the loss wants it, and what was inferred about it.
public struct Targets: Sendable {
    public var values: [Float]
    public let task: TaskKind
    /// Columns of `values`: 1 (class id) for classification, k for regression.
    public let targetWidth: Int
    /// Network output width: class count or k.
    public let outputSize: Int
    public let note: SettingText
}

extension DatasetLoader {
    /// Reads Y and decides the task when not forced:
    ///  - integer type, shape (N) or (N,1)              → classification, classes = max id + 1
    ///  - shape (N,k), k > 1, every row one-hot         → classification with k classes
    ///  - anything else (floats)                        → regression with k outputs
    ///
    /// - Parameter classCount: the training set's class count, when reading validation labels.
    public static func readTargets(_ source: DataSource, rows: Int, task forced: TaskKind?, classCount: Int?) throws(TrainingError) -> Targets {
        let (values, shape, type) = try readNumeric(file: source.file, dataset: source.y)
        func invalid(_ message: SettingText) -> TrainingError {
            .invalidData(file: source.file, dataset: source.y, message: message)
        }
        guard shape.count <= 2 else {
            throw invalid("has shape \(shape); expected (N) class ids, or (N, k) one-hot or regression targets")
        }
        let yRows = shape.first ?? 1
        guard yRows == rows else {
            throw invalid("has \(yRows) rows but \(source.x) has \(rows); X and Y must have one row per sample")
        }
        guard yRows > 0 else { throw invalid("is empty") }
        let width = shape.count == 2 ? shape[1] : 1
        guard width > 0 else { throw invalid("has no columns (shape \(shape))") }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw invalid("row \(bad / width) holds \(values[bad]); targets must be finite numbers")
        }

        let isInteger: Bool
        switch type {
        case .signedInteger, .unsignedInteger: isInteger = true
        default: isInteger = false
        }
        let oneHot = width > 1 && isOneHot(values, width: width)
        let task = forced ?? ((isInteger && width == 1) || oneHot ? .classification : .regression)

        if task == .regression {
            let how: SettingText = forced == nil ? "inferred from \(type) targets; force with \(.task)" : "forced by \(.task)"
            return Targets(values: values, task: .regression, targetWidth: width, outputSize: width,
                           note: "task: regression with \(width) output\(width == 1 ? "" : "s") (\(how)); loss mse")
        }
        // Classification: turn one-hot rows into ids, then check ids.
        var ids = values
        if width > 1 {
            guard oneHot else { throw invalid("has \(width) columns but its rows are not one-hot; use \(.task) regression for real-valued targets") }
            ids = (0..<rows).map { r in Float((0..<width).first { values[r * width + $0] == 1 } ?? 0) }
        }
        if let bad = ids.firstIndex(where: { $0 < 0 || $0 != $0.rounded() || $0 >= 16_777_216 }) {
            throw invalid("row \(bad) holds label \(ids[bad]); class labels must be integers 0, 1, 2, …")
        }
        let largest = Int(ids.max() ?? 0)
        let classes = classCount ?? max(2, width > 1 ? width : largest + 1)
        if largest >= classes {
            throw invalid("holds class \(largest), but the training labels have only \(classes) classes (0…\(classes - 1))")
        }
        let how: SettingText = forced == nil ? "inferred from \(width > 1 ? "one-hot" : "\(type)") labels" : "forced by \(.task)"
        return Targets(values: ids, task: .classification, targetWidth: 1, outputSize: classes,
                       note: "task: classification with \(classes) classes (\(how)); softmax output, cross-entropy loss")
    }

    /// True when every row holds exactly one 1 and zeros elsewhere.
    private static func isOneHot(_ values: [Float], width: Int) -> Bool {
        let rows = values.count / width
        for r in 0..<rows {
            var ones = 0
            for c in 0..<width {
                let v = values[r * width + c]
                if v == 1 { ones += 1 } else if v != 0 { return false }
            }
            if ones != 1 { return false }
        }
        return true
    }
}
