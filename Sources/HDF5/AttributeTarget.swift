import CHDF5

// The HDF5 calls behind the `AttributeHolder` methods.
extension AttributeTarget {
    /// Whether an attribute called `name` exists.
    func exists(_ name: String) -> Bool {
        let exists = try? check("H5Aexists", H5Aexists(id, name), context)
        return (exists ?? 0) > 0
    }

    /// Names of all attributes, sorted.
    func names() throws(HDF5Error) -> [String] {
        var names: [String] = []
        let status = withUnsafeMutablePointer(to: &names) { namesPointer in
            H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, data in
                guard let name, let data else { return -1 }
                data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                return 0
            }, namesPointer)
        }
        try check("H5Aiterate2", status, context)
        return names.sorted()
    }

    /// Deletes the attribute `name` if it exists.
    func remove(_ name: String) throws(HDF5Error) {
        guard exists(name) else { return }
        try check("H5Adelete", H5Adelete(id, name), context)
    }

    /// Replaces the attribute `name` with a new one of `fileType` and `shape` (`[]` for a
    /// scalar), filled by `write`, which performs the H5Awrite on the attribute it is given.
    func write(_ name: String, fileType: hid_t, shape: [Int], _ write: (hid_t) -> herr_t) throws(HDF5Error) {
        try remove(name)
        let space = try makeDataspace(shape, context)
        defer { H5Sclose(space) }
        let attribute = try check("H5Acreate2", H5Acreate2(id, name, fileType, space, h5shim_p_default(),
                                                          h5shim_p_default()), context)
        defer { H5Aclose(attribute) }
        try check("H5Awrite", write(attribute), context)
    }

    /// Opens the attribute `name`, checks its element type with `accepts` (describing the
    /// wanted type as `expecting` in errors) and passes the attribute, its type and its number
    /// of values to `body`.
    func read<R>(
        _ name: String,
        expecting: String,
        accepts: (ElementType) -> Bool,
        _ body: (_ attribute: hid_t, _ type: hid_t, _ count: Int, Context) throws(HDF5Error) -> R
    ) throws(HDF5Error) -> R {
        guard exists(name) else {
            let names = (try? names()) ?? []
            let listing = names.isEmpty ? "there are no attributes" : "attributes: " + names.joined(separator: ", ")
            throw context.error(.library, "H5Aopen", "no attribute '\(name)' (\(listing))")
        }
        let attribute = try check("H5Aopen", H5Aopen(id, name, h5shim_p_default()), context)
        defer { H5Aclose(attribute) }
        let type = try check("H5Aget_type", H5Aget_type(attribute), context)
        defer { H5Tclose(type) }
        let elementType = try ElementType(typeID: type, context)
        guard accepts(elementType) else {
            throw context.error(.unsupportedType(elementType.description), "H5Aread",
                                "attribute '\(name)' \(elementType.holdsPhrase); expected \(expecting)")
        }
        let space = try check("H5Aget_space", H5Aget_space(attribute), context)
        defer { H5Sclose(space) }
        let count = try check("H5Sget_simple_extent_npoints", H5Sget_simple_extent_npoints(space), context)
        return try body(attribute, type, Int(count), context)
    }

    /// All values of the numeric attribute `name`, converted by HDF5 to `T`.
    func readNumbers<T: HDF5Scalar & ExpressibleByIntegerLiteral>(
        _ name: String, as _: T.Type, expecting: String, accepts: (ElementType) -> Bool
    ) throws(HDF5Error) -> [T] {
        try read(name, expecting: expecting, accepts: accepts) { attribute, _, count, context throws(HDF5Error) in
            guard count > 0 else { return [] }
            var values = [T](repeating: 0, count: count)
            try check("H5Aread", H5Aread(attribute, try T.nativeTypeID(context), &values), context)
            return values
        }
    }

    /// The only element of `values`, or a `.shapeMismatch` error about attribute `name`.
    func single<V>(_ values: [V], _ name: String) throws(HDF5Error) -> V {
        guard values.count == 1, let value = values.first else {
            throw context.error(.shapeMismatch, "H5Aread",
                                "attribute '\(name)' holds \(values.count) values; expected exactly one")
        }
        return value
    }
}
