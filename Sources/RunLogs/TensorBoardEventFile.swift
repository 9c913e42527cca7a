import Foundation
import TensorBoardProto

/// What one event of a TensorBoard event file holds, for reading files back (tests, tools).
public struct TensorBoardRecord: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case fileVersion(String)
        case scalar(tag: String, value: Float)
        case histogram(tag: String, TensorBoardHistogram)
        case text(tag: String, String)
        /// Anything else (other summary kinds, graphs, logs).
        case other
    }

    public var wallTime: Double
    public var step: Int
    public var content: Content
}

/// Reads an event file back, checking both masked CRC-32Cs of every record.
public enum TensorBoardEventFile {
    /// The events in `path`, in file order; throws for a damaged or truncated file.
    public static func read(_ path: String) throws(RunLogError) -> [TensorBoardRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunLogError(path: path, reason: "cannot read the file")
        }
        return try records(in: [UInt8](data), path: path).map { bytes throws(RunLogError) in
            do {
                return Self.record(try Tensorboard_Event(serializedBytes: bytes))
            } catch {
                throw RunLogError(path: path, reason: "a record is not an Event (\(error))")
            }
        }
    }

    /// The data of each TFRecord in `bytes`.
    static func records(in bytes: [UInt8], path: String) throws(RunLogError) -> [[UInt8]] {
        func integer(_ offset: Int, _ count: Int) -> UInt64 {
            (0..<count).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        var records: [[UInt8]] = [], offset = 0
        while offset < bytes.count {
            let damaged = RunLogError(path: path, reason: "damaged or truncated record at byte \(offset)")
            guard offset + 12 <= bytes.count,
                  UInt64(CRC32C.masked(CRC32C.checksum(Array(bytes[offset..<(offset + 8)])))) == integer(offset + 8, 4) else { throw damaged }
            let length = Int(integer(offset, 8))
            guard length <= bytes.count - offset - 16 else { throw damaged }
            let data = Array(bytes[(offset + 12)..<(offset + 12 + length)])
            guard UInt64(CRC32C.masked(CRC32C.checksum(data))) == integer(offset + 12 + length, 4) else { throw damaged }
            records.append(data)
            offset += 16 + length
        }
        return records
    }

    private static func record(_ event: Tensorboard_Event) -> TensorBoardRecord {
        var record = TensorBoardRecord(wallTime: event.wallTime, step: Int(event.step), content: .other)
        if case .fileVersion(let version)? = event.what {
            record.content = .fileVersion(version)
        } else if let value = event.summary.value.first {
            switch value.value {
            case .simpleValue(let number)?:
                record.content = .scalar(tag: value.tag, value: number)
            case .histo(let proto)?:
                record.content = .histogram(tag: value.tag, TensorBoardHistogram(
                    min: proto.min, max: proto.max, count: proto.num, sum: proto.sum, sumOfSquares: proto.sumSquares,
                    bucketLimits: proto.bucketLimit, bucketCounts: proto.bucket))
            case .tensor(let tensor)? where value.metadata.pluginData.pluginName == "text":
                record.content = .text(tag: value.tag, tensor.stringVal.first.map { String(decoding: $0, as: UTF8.self) } ?? "")
            default:
                break
            }
        }
        return record
    }
}
