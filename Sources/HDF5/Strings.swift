import CHDF5

// String storage shared by string datasets and string attributes. We write variable-length
// UTF-8 strings (what h5py writes for Python `str`); we read both variable- and fixed-length.

/// A new variable-length UTF-8 string type. The caller closes it.
func makeVariableLengthStringType(_ context: Context) throws(HDF5Error) -> hid_t {
    let type = try check("H5Tcopy", H5Tcopy(h5shim_t_c_s1()), context)
    do throws(HDF5Error) {
        try check("H5Tset_size", H5Tset_size(type, h5shim_t_variable()), context)
        try check("H5Tset_cset", H5Tset_cset(type, H5T_CSET_UTF8), context)
    } catch {
        H5Tclose(type)
        throw error
    }
    return type
}

/// Calls `body` with one C string pointer per value, the in-memory form of variable-length
/// strings that H5Dwrite and H5Awrite expect. The pointers are valid only during the call.
func withCStringPointers<R>(_ values: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var storage: [CChar] = []
    var offsets: [Int] = []
    for value in values {
        offsets.append(storage.count)
        storage.append(contentsOf: value.utf8CString)
    }
    return storage.withUnsafeBufferPointer { characters in
        body(offsets.map { offset in characters.baseAddress.map { $0 + offset } })
    }
}

/// Reads `count` strings stored with the string type `fileType`. `read` performs the actual
/// H5Dread or H5Aread (named `call`) with the memory type and buffer it is given.
func readStringValues(
    fileType: hid_t,
    count: Int,
    call: String,
    _ context: Context,
    read: (_ memoryType: hid_t, _ buffer: UnsafeMutableRawPointer) -> herr_t
) throws(HDF5Error) -> [String] {
    guard count > 0 else { return [] }
    let isVariable = try check("H5Tis_variable_str", H5Tis_variable_str(fileType), context) > 0
    let characterSet = H5T_cset_t(rawValue: try check("H5Tget_cset", H5Tget_cset(fileType).rawValue, context))
    let memoryType = try check("H5Tcopy", H5Tcopy(h5shim_t_c_s1()), context)
    defer { H5Tclose(memoryType) }
    try check("H5Tset_cset", H5Tset_cset(memoryType, characterSet), context)

    if isVariable {
        try check("H5Tset_size", H5Tset_size(memoryType, h5shim_t_variable()), context)
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        // HDF5 allocates each string; release them with the library's own allocator.
        defer { for case let pointer? in pointers { H5free_memory(pointer) } }
        try check(call, read(memoryType, &pointers), context)
        return pointers.map { pointer in pointer.map { String(cString: $0) } ?? "" }
    }

    let size = Int(try check("H5Tget_size", H5Tget_size(fileType), context) { $0 == 0 })
    try check("H5Tset_size", H5Tset_size(memoryType, size), context)
    // Null padding keeps all `size` bytes; null termination would drop the last character.
    try check("H5Tset_strpad", H5Tset_strpad(memoryType, H5T_STR_NULLPAD), context)
    var bytes = [CChar](repeating: 0, count: count * size)
    try check(call, read(memoryType, &bytes), context)
    let padding = try check("H5Tget_strpad", H5Tget_strpad(fileType).rawValue, context)
    return (0..<count).map { index in
        let text = decodeCString(bytes[index * size..<(index + 1) * size])
        guard padding == H5T_STR_SPACEPAD.rawValue else { return text }
        return String(text.reversed().drop { $0 == " " }.reversed())
    }
}
