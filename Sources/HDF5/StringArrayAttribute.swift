import CHDF5

// Arrays of strings as attributes, the way h5py stores a NumPy `S` array and the way Keras
// writes `layer_names` and `weight_names`: one fixed-length string type, as long as the longest
// value, null-padded.

extension AttributeHolder {
    /// Stores `values` as a one-dimensional attribute of fixed-length, null-padded strings whose
    /// length is that of the longest value in bytes (at least 1), as h5py writes `numpy.bytes_`
    /// arrays. The character set is ASCII when every value is ASCII, else UTF-8.
    public func setAttribute(_ name: String, _ values: [String]) throws(HDF5Error) {
        let target = attributeTarget
        let encoded = values.map { Array($0.utf8) }
        let size = max(1, encoded.map(\.count).max() ?? 0)
        let ascii = encoded.allSatisfy { $0.allSatisfy { $0 < 0x80 } }
        let type = try makeFixedLengthStringType(size: size, ascii: ascii, target.context)
        defer { H5Tclose(type) }
        var bytes = [UInt8](repeating: 0, count: values.count * size)
        for (index, value) in encoded.enumerated() {
            bytes.replaceSubrange(index * size..<(index * size + value.count), with: value)
        }
        try target.write(name, fileType: type, shape: [values.count]) { attribute in
            values.isEmpty ? 0 : H5Awrite(attribute, type, bytes)
        }
    }

    /// Reads all strings of a string attribute (fixed- or variable-length, any shape, flattened;
    /// a scalar gives one string).
    public func stringArrayAttribute(_ name: String) throws(HDF5Error) -> [String] {
        try attributeTarget.read(name, expecting: "strings", accepts: { $0 == .string }) {
            attribute, type, count, context throws(HDF5Error) in
            try readStringValues(fileType: type, count: count, call: "H5Aread", context) { memoryType, buffer in
                H5Aread(attribute, memoryType, buffer)
            }
        }
    }
}

/// A new fixed-length, null-padded string type of `size` bytes. The caller closes it.
private func makeFixedLengthStringType(size: Int, ascii: Bool, _ context: Context) throws(HDF5Error) -> hid_t {
    let type = try check("H5Tcopy", H5Tcopy(h5shim_t_c_s1()), context)
    do throws(HDF5Error) {
        try check("H5Tset_size", H5Tset_size(type, size), context)
        try check("H5Tset_strpad", H5Tset_strpad(type, H5T_STR_NULLPAD), context)
        try check("H5Tset_cset", H5Tset_cset(type, ascii ? H5T_CSET_ASCII : H5T_CSET_UTF8), context)
    } catch {
        H5Tclose(type)
        throw error
    }
    return type
}
