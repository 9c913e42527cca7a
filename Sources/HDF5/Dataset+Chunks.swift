import CHDF5

extension Dataset {
    /// The dataset's chunk dimensions, outermost first, or nil when it is not chunked (contiguous
    /// or compact storage). Streaming readers align their blocks of rows to the first dimension.
    public func chunkShape() throws(HDF5Error) -> [Int]? {
        let plist = try check("H5Dget_create_plist", H5Dget_create_plist(id), context)
        defer { H5Pclose(plist) }
        let layout = H5Pget_layout(plist)
        try check("H5Pget_layout", layout.rawValue, context)
        guard layout == H5D_CHUNKED, !shape.isEmpty else { return nil }
        var dims = [hsize_t](repeating: 0, count: shape.count)
        try check("H5Pget_chunk", H5Pget_chunk(plist, Int32(dims.count), &dims), context)
        return dims.map { Int($0) }
    }
}
