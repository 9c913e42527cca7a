import CHDF5

/// The element type stored in a dataset.
public enum ElementType: Equatable, Sendable, CustomStringConvertible {
    /// A two's-complement integer of 1, 2, 4 or 8 bytes, in either byte order.
    case signedInteger(bytes: Int)
    /// An unsigned integer of 1, 2, 4 or 8 bytes, in either byte order.
    case unsignedInteger(bytes: Int)
    /// An IEEE floating-point number of 4 or 8 bytes (or another size HDF5 can describe).
    case float(bytes: Int)
    /// Fixed- or variable-length strings.
    case string
    /// Records with named fields (HDF5 compound type).
    case compound
    /// Any other HDF5 type class (enum, array, opaque, reference, …), named.
    case other(String)

    /// Whether values of this type are numbers HDF5 can convert to any `HDF5Scalar`.
    public var isNumeric: Bool {
        switch self {
        case .signedInteger, .unsignedInteger, .float: return true
        case .string, .compound, .other: return false
        }
    }

    /// Largest value of an unsigned integer type (255 for uint8), nil otherwise.
    public var unsignedMaximum: Double? {
        guard case .unsignedInteger(let bytes) = self, bytes > 0 else { return nil }
        // 2^(8·bytes) − 1; for 8 bytes this rounds to 2^64 as a Double, like UInt64.max does.
        return Double(sign: .plus, exponent: 8 * bytes, significand: 1) - 1
    }

    /// A short name in NumPy style: `uint8`, `int32`, `float64`, `string`, `compound`, ….
    public var description: String {
        switch self {
        case .signedInteger(let bytes): return "int\(bytes * 8)"
        case .unsignedInteger(let bytes): return "uint\(bytes * 8)"
        case .float(let bytes): return "float\(bytes * 8)"
        case .string: return "string"
        case .compound: return "compound"
        case .other(let name): return name
        }
    }

    /// How a dataset of this type reads in a sentence: "holds strings", "holds int32 values".
    var holdsPhrase: String {
        switch self {
        case .string: return "holds strings"
        case .compound: return "holds compound records"
        default: return "holds \(description) values"
        }
    }
}

extension ElementType {
    /// Describes the HDF5 datatype `type`.
    init(typeID type: hid_t, _ context: Context) throws(HDF5Error) {
        let typeClass = H5T_class_t(
            rawValue: try check("H5Tget_class", H5Tget_class(type).rawValue, context))
        switch typeClass {
        case H5T_INTEGER:
            let bytes = Int(try check("H5Tget_size", H5Tget_size(type), context) { $0 == 0 })
            let sign = try check("H5Tget_sign", H5Tget_sign(type).rawValue, context)
            self = sign == H5T_SGN_NONE.rawValue ? .unsignedInteger(bytes: bytes) : .signedInteger(bytes: bytes)
        case H5T_FLOAT:
            self = .float(bytes: Int(try check("H5Tget_size", H5Tget_size(type), context) { $0 == 0 }))
        case H5T_STRING: self = .string
        case H5T_COMPOUND: self = .compound
        case H5T_ENUM: self = .other("enum")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("variable-length sequence")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_BITFIELD: self = .other("bitfield")
        case H5T_REFERENCE: self = .other("reference")
        case H5T_TIME: self = .other("time")
        default: self = .other("HDF5 type class \(typeClass.rawValue)")
        }
    }

    /// The HDF5 native (in-memory) type for this element type, if it is a supported number type.
    /// Native types are library constants: never close them.
    var nativeTypeID: hid_t? {
        switch self {
        case .signedInteger(1): return h5shim_native_int8()
        case .signedInteger(2): return h5shim_native_int16()
        case .signedInteger(4): return h5shim_native_int32()
        case .signedInteger(8): return h5shim_native_int64()
        case .unsignedInteger(1): return h5shim_native_uint8()
        case .unsignedInteger(2): return h5shim_native_uint16()
        case .unsignedInteger(4): return h5shim_native_uint32()
        case .unsignedInteger(8): return h5shim_native_uint64()
        case .float(4): return h5shim_native_float()
        case .float(8): return h5shim_native_double()
        default: return nil
        }
    }

    /// The HDF5 standard (file) type for this element type in `order`, if it is a supported
    /// number type. Standard types are library constants: never close them.
    func standardTypeID(_ order: ByteOrder) -> hid_t? {
        switch order {
        case .native: return nativeTypeID
        case .littleEndian:
            switch self {
            case .signedInteger(1): return h5shim_std_i8le()
            case .signedInteger(2): return h5shim_std_i16le()
            case .signedInteger(4): return h5shim_std_i32le()
            case .signedInteger(8): return h5shim_std_i64le()
            case .unsignedInteger(1): return h5shim_std_u8le()
            case .unsignedInteger(2): return h5shim_std_u16le()
            case .unsignedInteger(4): return h5shim_std_u32le()
            case .unsignedInteger(8): return h5shim_std_u64le()
            case .float(4): return h5shim_ieee_f32le()
            case .float(8): return h5shim_ieee_f64le()
            default: return nil
            }
        case .bigEndian:
            switch self {
            case .signedInteger(1): return h5shim_std_i8be()
            case .signedInteger(2): return h5shim_std_i16be()
            case .signedInteger(4): return h5shim_std_i32be()
            case .signedInteger(8): return h5shim_std_i64be()
            case .unsignedInteger(1): return h5shim_std_u8be()
            case .unsignedInteger(2): return h5shim_std_u16be()
            case .unsignedInteger(4): return h5shim_std_u32be()
            case .unsignedInteger(8): return h5shim_std_u64be()
            case .float(4): return h5shim_ieee_f32be()
            case .float(8): return h5shim_ieee_f64be()
            default: return nil
            }
        }
    }
}

/// The byte order in which a new dataset stores its numbers in the file. Reading converts any
/// byte order to the machine's, so this only matters for files read by other programs.
public enum ByteOrder: Sendable {
    /// The machine's own order (little-endian on x86-64 and ARM64).
    case native
    /// Least significant byte first.
    case littleEndian
    /// Most significant byte first (as on some older scientific systems).
    case bigEndian
}
