import CHDF5

extension Location {
    /// Creates the dataset `relative` with `shape`, stores `values` and opens it.
    /// See `Group.createDataset` for the parameters.
    func createDataset<T: HDF5Scalar>(
        _ relative: String,
        shape: [Int],
        values: [T],
        chunkRows: Int?,
        gzipLevel: Int?,
        byteOrder: ByteOrder
    ) throws(HDF5Error) -> Dataset {
        let path = absolute(relative)
        let context = self.context.at(path)
        try validate(shape: shape, valueCount: values.count, context)
        let memoryType = try T.nativeTypeID(context)
        let fileType = T.nativeType.standardTypeID(byteOrder) ?? memoryType
        let creation = try datasetCreationList(shape: shape, bytesPerValue: MemoryLayout<T>.size,
                                               chunkRows: chunkRows, gzipLevel: gzipLevel, context)
        defer { H5Pclose(creation) }
        let dataset = try create(path, fileType: fileType, shape: shape, creation: creation)
        if !values.isEmpty {
            try check("H5Dwrite", H5Dwrite(dataset.id, memoryType, h5shim_s_all(), h5shim_s_all(),
                                           h5shim_p_default(), values), context)
        }
        return dataset
    }

    /// Creates a one-dimensional dataset of variable-length UTF-8 strings at `relative`.
    func createStringDataset(_ relative: String, values: [String]) throws(HDF5Error) -> Dataset {
        let path = absolute(relative)
        let context = self.context.at(path)
        let type = try makeVariableLengthStringType(context)
        defer { H5Tclose(type) }
        let dataset = try create(path, fileType: type, shape: [values.count], creation: h5shim_p_default())
        if !values.isEmpty {
            let status = withCStringPointers(values) { pointers in
                H5Dwrite(dataset.id, type, h5shim_s_all(), h5shim_s_all(), h5shim_p_default(), pointers)
            }
            try check("H5Dwrite", status, context)
        }
        return dataset
    }

    /// Creates an empty dataset (and any missing parent groups) and opens it.
    private func create(_ path: String, fileType: hid_t, shape: [Int], creation: hid_t) throws(HDF5Error) -> Dataset {
        let context = self.context.at(path)
        let space = try makeDataspace(shape, context)
        defer { H5Sclose(space) }
        let linkCreation = try intermediateGroupLinkCreation(context)
        defer { H5Pclose(linkCreation) }
        let id = try check("H5Dcreate2", H5Dcreate2(self.id, path, fileType, space, linkCreation, creation,
                                                    h5shim_p_default()), context)
        return try Dataset(adopting: id, path: path, file: file, owner: owner)
    }

    /// Throws `.shapeMismatch` unless `shape` is valid and holds exactly `valueCount` values.
    private func validate(shape: [Int], valueCount: Int, _ context: Context) throws(HDF5Error) {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw context.error(.shapeMismatch, "createDataset", "shape \(shape) has a negative dimension")
        }
        var product = 1
        for dimension in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw context.error(.shapeMismatch, "createDataset", "shape \(shape) is too large")
            }
            product = next
        }
        guard product == valueCount else {
            throw context.error(.shapeMismatch, "createDataset",
                                "shape \(shape) needs \(product) values but \(valueCount) were given")
        }
    }

    /// A dataset-creation property list with chunking and compression as requested. Caller closes it.
    private func datasetCreationList(
        shape: [Int], bytesPerValue: Int, chunkRows: Int?, gzipLevel: Int?, _ context: Context
    ) throws(HDF5Error) -> hid_t {
        let list = try check("H5Pcreate", H5Pcreate(h5shim_p_dataset_create()), context)
        guard chunkRows != nil || gzipLevel != nil else { return list }
        do throws(HDF5Error) {
            guard let rows = shape.first else {
                throw context.error(.shapeMismatch, "createDataset",
                                    "a scalar dataset cannot be chunked or compressed")
            }
            if let level = gzipLevel, !(0...9).contains(level) {
                throw context.error(.library, "createDataset", "gzip level must be between 0 and 9, not \(level)")
            }
            let rowBytes = max(1, shape.dropFirst().reduce(bytesPerValue) { $0 * max($1, 1) })
            let requested = chunkRows ?? max(1, (1 << 20) / rowBytes)
            guard requested > 0 else {
                throw context.error(.shapeMismatch, "createDataset", "chunkRows must be positive, not \(requested)")
            }
            let chunk = [hsize_t(min(requested, max(rows, 1)))] + shape.dropFirst().map { hsize_t(max($0, 1)) }
            try check("H5Pset_chunk", H5Pset_chunk(list, Int32(chunk.count), chunk), context)
            if let level = gzipLevel {
                try check("H5Pset_shuffle", H5Pset_shuffle(list), context)
                try check("H5Pset_deflate", H5Pset_deflate(list, UInt32(level)), context)
            }
        } catch {
            H5Pclose(list)
            throw error
        }
        return list
    }
}

/// A new dataspace: scalar for `[]`, simple otherwise. The caller closes it.
func makeDataspace(_ shape: [Int], _ context: Context) throws(HDF5Error) -> hid_t {
    if shape.isEmpty {
        return try check("H5Screate", H5Screate(H5S_SCALAR), context)
    }
    let dims = shape.map { hsize_t($0) }
    return try check("H5Screate_simple", H5Screate_simple(Int32(dims.count), dims, nil), context)
}
