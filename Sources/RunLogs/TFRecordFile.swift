#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only TFRecord file: each record is its length (UInt64, little-endian), the masked
/// CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data (both UInt32,
/// little-endian). The C stream buffers the writes; `flush` hands them to the system.
final class TFRecordFile {
    let path: String
    private var file: UnsafeMutablePointer<FILE>?
    /// One record's framing, reused.
    private var header = [UInt8](repeating: 0, count: 12)

    /// Creates (or truncates) the file at `path`.
    init(path: String) throws(RunLogError) {
        self.path = path
        guard let file = fopen(path, "wb") else { throw RunLogError(path: path, reason: Self.systemReason()) }
        self.file = file
    }

    deinit {
        if let file { fclose(file) }
    }

    /// Appends one record holding `data`.
    func append(_ data: [UInt8]) throws(RunLogError) {
        guard let file else { throw RunLogError(path: path, reason: "the file is closed") }
        let length = UInt64(data.count)
        for i in 0..<8 { header[i] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(i))) }
        let lengthCRC = header.withUnsafeBytes { CRC32C.masked(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<8]))) }
        for i in 0..<4 { header[8 + i] = UInt8(truncatingIfNeeded: lengthCRC >> (8 * UInt32(i))) }
        var dataCRC = CRC32C.masked(CRC32C.checksum(data)).littleEndian
        let written = header.withUnsafeBytes { fwrite($0.baseAddress, 1, 12, file) }
            + data.withUnsafeBytes { fwrite($0.baseAddress, 1, data.count, file) }
            + withUnsafeBytes(of: &dataCRC) { fwrite($0.baseAddress, 1, 4, file) }
        guard written == 16 + data.count else { throw RunLogError(path: path, reason: Self.systemReason()) }
    }

    /// Hands buffered records to the system.
    func flush() throws(RunLogError) {
        guard let file else { return }
        guard fflush(file) == 0 else { throw RunLogError(path: path, reason: Self.systemReason()) }
    }

    /// Flushes and closes the file; later appends fail.
    func close() throws(RunLogError) {
        guard let file else { return }
        self.file = nil
        guard fclose(file) == 0 else { throw RunLogError(path: path, reason: Self.systemReason()) }
    }

    /// The C library's words for the last error.
    static func systemReason() -> String { String(cString: strerror(errno)) }
}
