import CHDF5

/// An open HDF5 dataset: an n-dimensional array of one element type, with attributes.
///
/// The first dimension is treated as rows: `read(rows:)` reads a contiguous range of them
/// (an HDF5 hyperslab), each row being `elementsPerRow` values in row-major order.
/// Closes itself when released, before its file. Not thread-safe: see ``File``.
public final class Dataset: AttributeHolder {
    /// The dataset's identifier, owned by this object.
    let id: hid_t
    /// Absolute path of the dataset in its file, e.g. `"/x_train"`.
    public let path: String
    /// Path of the file containing the dataset.
    public let file: String
    /// Dimensions, outermost first (read once when opened); `[]` for a scalar dataset.
    public let shape: [Int]
    /// The stored element type.
    public let elementType: ElementType
    /// The open file, kept open until this dataset is closed (see ``Group``).
    let owner: File

    /// Takes ownership of the open dataset `id`, closing it if its metadata cannot be read.
    init(adopting id: hid_t, path: String, file: String, owner: File) throws(HDF5Error) {
        let context = Context(file: file, object: path)
        do throws(HDF5Error) {
            let type = try check("H5Dget_type", H5Dget_type(id), context)
            defer { H5Tclose(type) }
            let space = try check("H5Dget_space", H5Dget_space(id), context)
            defer { H5Sclose(space) }
            let rank = try check("H5Sget_simple_extent_ndims", H5Sget_simple_extent_ndims(space), context)
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            try check("H5Sget_simple_extent_dims", H5Sget_simple_extent_dims(space, &dims, nil), context)
            self.elementType = try ElementType(typeID: type, context)
            self.shape = dims.map { Int($0) }
        } catch {
            H5Dclose(id)
            throw error
        }
        self.id = id
        self.path = path
        self.file = file
        self.owner = owner
    }

    deinit { H5Dclose(id) }

    var context: Context { Context(file: file, object: path) }

    /// Where this dataset's attributes live.
    public var attributeTarget: AttributeTarget { AttributeTarget(id: id, context: context) }

    /// Number of rows: the first dimension, or 1 for a scalar dataset.
    public var rowCount: Int { shape.first ?? 1 }

    /// Values per row: the product of all dimensions but the first.
    public var elementsPerRow: Int { shape.dropFirst().reduce(1, *) }

    /// Reads rows [range] (a hyperslab on dim 0) converted by HDF5 to T's native type (any integer/float type, either byte order).
    ///
    /// - Parameter rows: Rows to read; nil reads the whole dataset.
    /// - Returns: `rows.count * elementsPerRow` values in row-major order.
    /// - Throws: `.unsupportedType` for non-numeric datasets, `.shapeMismatch` if `rows` is
    ///   outside `0..<rowCount`.
    public func read<T: HDF5Scalar>(_: T.Type = T.self, rows: Range<Int>? = nil) throws(HDF5Error) -> [T] {
        let rows = rows ?? 0..<rowCount
        try validate(rows)
        let count = rows.count * elementsPerRow
        var failure: HDF5Error?
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            do throws(HDF5Error) {
                try read(rows: rows, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
                initialised = count
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return values
    }

    /// Same, into caller storage (count must be rows*elementsPerRow) — lets the loader fill a preallocated buffer without extra copies.
    ///
    /// - Throws: `.unsupportedType` for non-numeric datasets, `.shapeMismatch` if `rows` is
    ///   outside `0..<rowCount` or `buffer.count` is not `rows.count * elementsPerRow`.
    public func read<T: HDF5Scalar>(rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<T>) throws(HDF5Error) {
        try validate(rows)
        let count = rows.count * elementsPerRow
        guard buffer.count == count else {
            throw context.error(.shapeMismatch, "H5Dread",
                                "a buffer of \(buffer.count) values cannot hold rows \(rows.lowerBound)..<\(rows.upperBound), "
                                + "which have \(count) values (\(elementsPerRow) per row)")
        }
        let memoryType = try T.nativeTypeID(context)
        guard count > 0, let base = buffer.baseAddress else { return }
        guard !shape.isEmpty else {
            let status = H5Dread(id, memoryType, h5shim_s_all(), h5shim_s_all(), h5shim_p_default(), base)
            try checkRead(status, rows: nil)
            return
        }
        if let layout = (try? deflatedChunkLayout(memoryType: memoryType)) ?? nil,
           readDeflatedChunks(rows: rows, into: UnsafeMutableRawPointer(base), layout) { return }
        let fileSpace = try check("H5Dget_space", H5Dget_space(id), context)
        defer { H5Sclose(fileSpace) }
        // The hyperslab's start and counts on the stack: a streamed run reads a block at a time.
        try withUnsafeTemporaryAllocation(of: hsize_t.self, capacity: 2 * shape.count) { (dims) throws(HDF5Error) in
            let (start, counts) = (dims.baseAddress!, dims.baseAddress! + shape.count)
            for (axis, size) in shape.enumerated() {
                start[axis] = axis == 0 ? hsize_t(rows.lowerBound) : 0
                counts[axis] = axis == 0 ? hsize_t(rows.count) : hsize_t(size)
            }
            try check("H5Sselect_hyperslab",
                      H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, counts, nil), context)
            let memorySpace = try check("H5Screate_simple", H5Screate_simple(Int32(shape.count), counts, nil), context)
            defer { H5Sclose(memorySpace) }
            try checkRead(H5Dread(id, memoryType, memorySpace, fileSpace, h5shim_p_default(), base), rows: rows)
        }
    }

    /// Reads a string dataset (fixed- or variable-length strings) as an array in row-major order.
    ///
    /// - Throws: `.unsupportedType` if the dataset does not hold strings.
    public func readStrings() throws(HDF5Error) -> [String] {
        guard elementType == .string else {
            throw context.error(.unsupportedType(elementType.description), "readStrings",
                                "\(elementType.holdsPhrase); expected a string dataset")
        }
        let type = try check("H5Dget_type", H5Dget_type(id), context)
        defer { H5Tclose(type) }
        let count = shape.reduce(1, *)
        do {
            return try readStringValues(fileType: type, count: count, call: "H5Dread", context) { memoryType, buffer in
                H5Dread(id, memoryType, h5shim_s_all(), h5shim_s_all(), h5shim_p_default(), buffer)
            }
        } catch {
            throw readFailure(error, rows: nil)
        }
    }

    /// The byte order of the numbers as stored in the file, nil if the type has none (strings,
    /// compounds). Reads convert to the machine's order regardless; this is for inspection.
    public func storedByteOrder() throws(HDF5Error) -> ByteOrder? {
        let type = try check("H5Dget_type", H5Dget_type(id), context)
        defer { H5Tclose(type) }
        let order = try check("H5Tget_order", H5Tget_order(type).rawValue, context)
        switch order {
        case H5T_ORDER_LE.rawValue: return .littleEndian
        case H5T_ORDER_BE.rawValue: return .bigEndian
        default: return nil
        }
    }

    /// Throws unless the dataset is numeric and `rows` lies within it.
    private func validate(_ rows: Range<Int>) throws(HDF5Error) {
        guard elementType.isNumeric else {
            throw context.error(.unsupportedType(elementType.description), "H5Dread",
                                "\(elementType.holdsPhrase); expected a numeric dataset")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= rowCount else {
            throw context.error(.shapeMismatch, "H5Dread",
                                "rows \(rows.lowerBound)..<\(rows.upperBound) are outside the dataset, "
                                + "which has \(rowCount) rows (0..<\(rowCount))")
        }
    }
}
