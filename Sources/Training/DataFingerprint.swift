import HDF5

/// A cheap identity of the training data: sizes and a hash of the values the network saw, so a
/// resumed run can tell that it is given the same data.
///
/// The hash is FNV-1a over the bit patterns of at most about a million evenly spaced feature and
/// target values (normalised, as trained on), plus the row and column counts.
public struct DataFingerprint: Sendable, Equatable, CustomStringConvertible {
    public var rows: Int
    public var featureCount: Int
    public var targetWidth: Int
    public var hash: UInt64

    public init(_ samples: SampleSet) {
        rows = samples.rows
        featureCount = samples.featureCount
        targetWidth = samples.targetWidth
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ word: UInt64) {
            var word = word
            for _ in 0..<8 {
                hash = (hash ^ (word & 0xFF)) &* 0x0000_0100_0000_01B3
                word >>= 8
            }
        }
        mix(UInt64(rows))
        mix(UInt64(featureCount))
        mix(UInt64(targetWidth))
        for values in [samples.features, samples.targets] {
            let stride = max(1, values.count / 1_000_000)
            for i in Swift.stride(from: 0, to: values.count, by: stride) { mix(UInt64(values[i].bitPattern)) }
        }
        self.hash = hash
    }

    init(rows: Int, featureCount: Int, targetWidth: Int, hash: UInt64) {
        (self.rows, self.featureCount, self.targetWidth, self.hash) = (rows, featureCount, targetWidth, hash)
    }

    public var description: String {
        "\(rows) rows × \(featureCount) features, \(targetWidth) target column\(targetWidth == 1 ? "" : "s"), hash \(String(hash, radix: 16))"
    }

    func write(to group: Group) throws(HDF5Error) {
        try group.setAttribute("rows", rows)
        try group.setAttribute("features", featureCount)
        try group.setAttribute("target_width", targetWidth)
        try group.setAttribute("hash", String(hash, radix: 16))
    }

    init(group: Group) throws(HDF5Error) {
        rows = try group.intAttribute("rows")
        featureCount = try group.intAttribute("features")
        targetWidth = try group.intAttribute("target_width")
        hash = UInt64(try group.stringAttribute("hash"), radix: 16) ?? 0
    }
}

extension LoaderOptions {
    /// Stores where the data came from and how it was prepared (the checkpoint's /data group).
    func write(to group: Group) throws(HDF5Error) {
        try group.setAttribute("train_file", train.file)
        try group.setAttribute("train_x", train.x)
        try group.setAttribute("train_y", train.y)
        if let validation {
            try group.setAttribute("val_file", validation.file)
            try group.setAttribute("val_x", validation.x)
            try group.setAttribute("val_y", validation.y)
        }
        try group.setAttribute("val_split", validationSplit)
        try group.setAttribute("task", task?.rawValue ?? "inferred")
        try group.setAttribute("normalize", normalize.rawValue)
    }

    init(group: Group, seed: UInt64) throws(HDF5Error) {
        self.init(train: DataSource(file: try group.stringAttribute("train_file"), x: try group.stringAttribute("train_x"),
                                    y: try group.stringAttribute("train_y")))
        if group.hasAttribute("val_file") {
            validation = DataSource(file: try group.stringAttribute("val_file"), x: try group.stringAttribute("val_x"),
                                    y: try group.stringAttribute("val_y"))
        }
        validationSplit = try group.doubleAttribute("val_split")
        task = Task(rawValue: try group.stringAttribute("task"))
        normalize = Normalization.Request(rawValue: try group.stringAttribute("normalize")) ?? .auto
        self.seed = seed
    }
}
