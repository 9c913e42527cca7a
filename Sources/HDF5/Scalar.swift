import CHDF5

/// A Swift number type that datasets can be read into and written from.
///
/// HDF5 converts between the stored type and `nativeType` during reads and writes, so any
/// integer or floating-point dataset, in either byte order, can be read as any `HDF5Scalar`.
/// The conformances in this module are the supported set: `Float`, `Double`, `Int8`, `Int16`,
/// `Int32`, `Int64`, `UInt8`, `UInt16`, `UInt32`, `UInt64` and `Int` (as 64-bit integer).
public protocol HDF5Scalar: BitwiseCopyable, Sendable {
    /// The element type matching this Swift type's in-memory layout.
    static var nativeType: ElementType { get }
}

extension Float: HDF5Scalar {
    /// 4-byte IEEE float.
    public static var nativeType: ElementType { .float(bytes: 4) }
}

extension Double: HDF5Scalar {
    /// 8-byte IEEE float.
    public static var nativeType: ElementType { .float(bytes: 8) }
}

extension Int8: HDF5Scalar {
    /// 1-byte signed integer.
    public static var nativeType: ElementType { .signedInteger(bytes: 1) }
}

extension Int16: HDF5Scalar {
    /// 2-byte signed integer.
    public static var nativeType: ElementType { .signedInteger(bytes: 2) }
}

extension Int32: HDF5Scalar {
    /// 4-byte signed integer.
    public static var nativeType: ElementType { .signedInteger(bytes: 4) }
}

extension Int64: HDF5Scalar {
    /// 8-byte signed integer.
    public static var nativeType: ElementType { .signedInteger(bytes: 8) }
}

extension Int: HDF5Scalar {
    /// A signed integer of `Int`'s width (8 bytes on 64-bit platforms).
    public static var nativeType: ElementType { .signedInteger(bytes: MemoryLayout<Int>.size) }
}

extension UInt8: HDF5Scalar {
    /// 1-byte unsigned integer.
    public static var nativeType: ElementType { .unsignedInteger(bytes: 1) }
}

extension UInt16: HDF5Scalar {
    /// 2-byte unsigned integer.
    public static var nativeType: ElementType { .unsignedInteger(bytes: 2) }
}

extension UInt32: HDF5Scalar {
    /// 4-byte unsigned integer.
    public static var nativeType: ElementType { .unsignedInteger(bytes: 4) }
}

extension UInt64: HDF5Scalar {
    /// 8-byte unsigned integer.
    public static var nativeType: ElementType { .unsignedInteger(bytes: 8) }
}

extension HDF5Scalar {
    /// The HDF5 native type identifier for `Self`; throws if a conformance outside this module
    /// names an element type HDF5 has no native type for.
    static func nativeTypeID(_ context: Context) throws(HDF5Error) -> hid_t {
        guard let id = nativeType.nativeTypeID, MemoryLayout<Self>.size == nativeType.byteCount else {
            throw context.error(.unsupportedType("\(Self.self)"), "HDF5Scalar",
                                "cannot be read or written as \(Self.self): no matching HDF5 native type")
        }
        return id
    }
}

extension ElementType {
    /// Bytes per element for number types, nil otherwise.
    var byteCount: Int? {
        switch self {
        case .signedInteger(let bytes), .unsignedInteger(let bytes), .float(let bytes): return bytes
        case .string, .compound, .other: return nil
        }
    }
}
