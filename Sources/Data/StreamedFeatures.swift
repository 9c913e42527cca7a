import Foundation
import HDF5
import Settings

/// How much memory the training features may take, and so whether they are read whole or streamed.
public enum MemoryRequest: Sendable, Equatable {
    /// Read everything into memory (the up-front check refuses data that cannot fit).
    case inMemory
    /// In memory when the training and validation data fit in half of this process's share of the
    /// memory available (`MemoryShare`), else streamed through a budget of a quarter of that share.
    case auto
    /// Streamed through windows that fit this many bytes (two windows: the one trained on and the
    /// one being read ahead).
    case streaming(budget: Int)

    /// Parses `auto` or a size: bytes, or a number with K, M, G or T (binary multiples; an optional
    /// trailing `B` or `iB`). Nil when the text is neither.
    public init?(parsing text: String) {
        let lower = text.trimmingCharacters(in: .whitespaces).lowercased()
        if lower == "auto" { self = .auto; return }
        var digits = Substring(lower)
        for suffix in ["ib", "b"] where digits.hasSuffix(suffix) { digits = digits.dropLast(suffix.count); break }
        let units: [Character: Int] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        var multiplier = 1
        if let last = digits.last, let unit = units[last] { (multiplier, digits) = (unit, digits.dropLast()) }
        guard let number = Double(digits), number.isFinite, number >= 1 else { return nil }
        let bytes = number * Double(multiplier)
        guard bytes < 9.0e18 else { return nil }
        self = .streaming(budget: Int(bytes))
    }
}

/// Element type of stored features, as the window buffers keep them.
public enum StoredType: Sendable, Equatable {
    case uint8, float32, float64

    init(_ type: ElementType) {
        self = switch type {
        case .unsignedInteger(bytes: 1): .uint8
        case .float(bytes: 8): .float64
        default: .float32
        }
    }

    public var bytes: Int {
        switch self {
        case .uint8: 1
        case .float32: 4
        case .float64: 8
        }
    }
}

/// The shape of a streamed run's reads: rows per block, and blocks per window. With the seed, it
/// fixes every epoch's sample order, so checkpoints store it and resumed runs reuse it.
public struct WindowShape: Sendable, Equatable, CustomStringConvertible {
    public var blockRows: Int
    public var blocksPerWindow: Int

    public init(blockRows: Int, blocksPerWindow: Int) {
        precondition(blockRows >= 1 && blocksPerWindow >= 1, "windows hold at least one block of at least one row")
        (self.blockRows, self.blocksPerWindow) = (blockRows, blocksPerWindow)
    }

    public var description: String { "\(blocksPerWindow) blocks of \(blockRows) rows" }
}

/// Training features left in their HDF5 file and read a block of rows at a time, with everything
/// else the training data needs in memory: the targets (rows × targetWidth Float32), the
/// normalisation, and the window shape the reads use.
public struct StreamedFeatures: Sendable {
    public let source: DataSource
    public let rows: Int
    public let featureCount: Int
    public let type: StoredType
    /// Rows per chunk of the X dataset, nil when it is not chunked.
    public let chunkRows: Int?
    public var targets: [Float]
    public let targetWidth: Int
    public internal(set) var normalization: Normalization = .none
    /// Rows per block and blocks per window; chosen from the budget, or a checkpoint's.
    public var shape: WindowShape
    /// The budget the shape was chosen for, in bytes.
    public let budget: Int
    /// The file as it was when opened (device, inode, size): reads check it still is.
    public let identity: FileIdentity
    /// The fingerprint of the samples, as `DataFingerprint(_:)` gives for them in memory.
    public let fingerprint: DataFingerprint

    /// Bytes one row takes in a window: its features as stored and its targets.
    public var windowRowBytes: Int { featureCount * type.bytes + targetWidth * 4 }

    /// The rows of block `block`.
    public func rows(ofBlock block: Int) -> Range<Int> {
        let first = block * shape.blockRows
        return first..<min(first + shape.blockRows, rows)
    }

    public var blockCount: Int { (rows + shape.blockRows - 1) / shape.blockRows }
}

/// Which file a path names, and how long it is: a streamed file that is deleted, replaced or
/// truncated while training reads it is reported instead of read as zeros or as other data.
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64

    /// The identity of the file at `path` now, nil when there is none.
    public static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size))
    }

    /// Why the file at `path` is no longer the one with this identity, or nil when it still is.
    public func change(at path: String) -> String? {
        guard let now = Self.of(path) else { return "the file was deleted while training read it" }
        guard now.device == device, now.inode == inode else { return "the file was replaced while training read it" }
        guard now.size >= size else { return "the file was truncated from \(size) to \(now.size) bytes while training read it" }
        return nil
    }
}

/// Samples left in their file and read a block of rows at a time when evaluated (validation during
/// a streamed run, `evaluate`), with their targets in memory.
public struct StreamedSamples: Sendable {
    public let source: DataSource
    public let rows: Int
    public let featureCount: Int
    public let type: StoredType
    public let targets: [Float]
    public let targetWidth: Int
    public let normalization: Normalization

    public init(source: DataSource, rows: Int, featureCount: Int, type: StoredType, targets: [Float], targetWidth: Int,
                normalization: Normalization) {
        precondition(targets.count == rows * targetWidth, "every row has its targets")
        (self.source, self.rows, self.featureCount, self.type) = (source, rows, featureCount, type)
        (self.targets, self.targetWidth, self.normalization) = (targets, targetWidth, normalization)
    }
}
