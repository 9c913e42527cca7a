import CHDF5

/// An HDF5 object that carries named attributes: ``Group`` and ``Dataset``.
///
/// Strings are stored as variable-length UTF-8 (h5py reads them as `str`), integers as
/// int64 and reals as float64; arrays are one-dimensional. Setting an attribute replaces any
/// existing attribute of that name.
public protocol AttributeHolder: AnyObject {
    /// The object the attributes are attached to. Only this module can make one, so only its
    /// own types conform usefully.
    var attributeTarget: AttributeTarget { get }
}

/// An opaque reference to the HDF5 object behind an ``AttributeHolder``. It does not keep the
/// object open: use it only while its holder is alive.
public struct AttributeTarget {
    /// The object identifier, owned by the holder.
    let id: hid_t
    /// The file and object path, for error messages.
    let context: Context
}

extension AttributeHolder {
    /// Stores `value` as a variable-length UTF-8 string attribute.
    public func setAttribute(_ name: String, _ value: String) throws(HDF5Error) {
        let target = attributeTarget
        let type = try makeVariableLengthStringType(target.context)
        defer { H5Tclose(type) }
        try target.write(name, fileType: type, shape: []) { attribute in
            withCStringPointers([value]) { H5Awrite(attribute, type, $0) }
        }
    }

    /// Stores `value` as a scalar int64 attribute.
    public func setAttribute(_ name: String, _ value: Int) throws(HDF5Error) {
        try attributeTarget.write(name, fileType: h5shim_std_i64le(), shape: []) { attribute in
            H5Awrite(attribute, h5shim_native_int64(), [Int64(value)])
        }
    }

    /// Stores `value` as a scalar float64 attribute.
    public func setAttribute(_ name: String, _ value: Double) throws(HDF5Error) {
        try attributeTarget.write(name, fileType: h5shim_ieee_f64le(), shape: []) { attribute in
            H5Awrite(attribute, h5shim_native_double(), [value])
        }
    }

    /// Stores `values` as a one-dimensional int64 attribute.
    public func setAttribute(_ name: String, _ values: [Int]) throws(HDF5Error) {
        try attributeTarget.write(name, fileType: h5shim_std_i64le(), shape: [values.count]) { attribute in
            values.isEmpty ? 0 : H5Awrite(attribute, h5shim_native_int64(), values.map { Int64($0) })
        }
    }

    /// Stores `values` as a one-dimensional float64 attribute.
    public func setAttribute(_ name: String, _ values: [Double]) throws(HDF5Error) {
        try attributeTarget.write(name, fileType: h5shim_ieee_f64le(), shape: [values.count]) { attribute in
            values.isEmpty ? 0 : H5Awrite(attribute, h5shim_native_double(), values)
        }
    }

    /// Reads a string attribute holding one string (fixed- or variable-length).
    public func stringAttribute(_ name: String) throws(HDF5Error) -> String {
        let strings = try attributeTarget.read(name, expecting: "a string", accepts: { $0 == .string }) {
            attribute, type, count, context throws(HDF5Error) in
            try readStringValues(fileType: type, count: count, call: "H5Aread", context) { memoryType, buffer in
                H5Aread(attribute, memoryType, buffer)
            }
        }
        return try attributeTarget.single(strings, name)
    }

    /// Reads an integer attribute holding one value (any integer type is converted).
    public func intAttribute(_ name: String) throws(HDF5Error) -> Int {
        try attributeTarget.single(intArrayAttribute(name), name)
    }

    /// Reads a numeric attribute holding one value (any integer or float type is converted).
    public func doubleAttribute(_ name: String) throws(HDF5Error) -> Double {
        try attributeTarget.single(doubleArrayAttribute(name), name)
    }

    /// Reads all values of an integer attribute, flattened (a scalar gives one value).
    public func intArrayAttribute(_ name: String) throws(HDF5Error) -> [Int] {
        let isInteger: (ElementType) -> Bool = {
            if case .signedInteger = $0 { return true }
            if case .unsignedInteger = $0 { return true }
            return false
        }
        return try attributeTarget.readNumbers(name, as: Int64.self, expecting: "an integer", accepts: isInteger)
            .map { Int($0) }
    }

    /// Reads all values of a numeric attribute as doubles, flattened (a scalar gives one value).
    public func doubleArrayAttribute(_ name: String) throws(HDF5Error) -> [Double] {
        try attributeTarget.readNumbers(name, as: Double.self, expecting: "a number", accepts: { $0.isNumeric })
    }

    /// Whether an attribute called `name` exists.
    public func hasAttribute(_ name: String) -> Bool {
        attributeTarget.exists(name)
    }

    /// Names of all attributes, sorted.
    public func attributeNames() throws(HDF5Error) -> [String] {
        try attributeTarget.names()
    }

    /// Deletes the attribute `name`; does nothing if there is none.
    public func removeAttribute(_ name: String) throws(HDF5Error) {
        try attributeTarget.remove(name)
    }
}
