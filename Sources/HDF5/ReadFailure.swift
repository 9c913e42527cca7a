import CHDF5

extension Dataset {
    /// Throws unless the H5Dread of `rows` (nil: the whole dataset) returned success; the error
    /// names the file, the dataset and the rows (see `readFailure`).
    func checkRead(_ status: herr_t, rows: Range<Int>?) throws(HDF5Error) {
        do {
            try check("H5Dread", status, context)
        } catch {
            throw readFailure(error, rows: rows)
        }
    }

    /// The error to report for a failed read of `rows` (nil: the whole dataset): a compression
    /// filter HDF5 cannot load, named with the package that provides it, or else HDF5's root
    /// cause (a truncated or damaged file, a chunk that fails to decompress) with the rows, e.g.
    /// `data.h5:/x_train: H5Dread failed for rows 128..<256 of 1437: inflate() failed`.
    func readFailure(_ error: HDF5Error, rows: Range<Int>?) -> HDF5Error {
        if let filter = FilterPlugins.unavailableFilter(in: id, context) {
            return context.error(.filterUnavailable(id: filter.id, name: filter.name), "H5Dread",
                                 "compressed with the \(filter.name) filter (HDF5 filter id \(filter.id)), "
                                 + "which HDF5 cannot load here; \(filter.remedy)")
        }
        guard error.kind == .library else { return error }
        let rows = rows ?? 0..<rowCount
        let what = shape.isEmpty ? "the scalar value" : "rows \(rows.lowerBound)..<\(rows.upperBound) of \(rowCount)"
        return error.scoped(what)
    }
}
