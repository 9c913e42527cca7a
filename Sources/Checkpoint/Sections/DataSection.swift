import Data
import DataParallel
import HDF5

/// The checkpoint's /data group: the training data's fingerprint, and where the data came from.
extension DataFingerprint {
    func write(to group: Group) throws(HDF5Error) {
        try group.setAttribute("rows", rows)
        try group.setAttribute("features", featureCount)
        try group.setAttribute("target_width", targetWidth)
        try group.setAttribute("hash", String(hash, radix: 16))
    }

    init(group: Group) throws(HDF5Error) {
        self.init(rows: try group.intAttribute("rows"), featureCount: try group.intAttribute("features"),
                  targetWidth: try group.intAttribute("target_width"),
                  hash: UInt64(try group.stringAttribute("hash"), radix: 16) ?? 0)
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
        task = TaskKind(rawValue: try group.stringAttribute("task"))
        normalize = Normalization.Request(rawValue: try group.stringAttribute("normalize")) ?? .auto
        self.seed = seed
    }
}
