import CHDF5

/// An open HDF5 group: a folder of datasets and other groups, with attributes.
///
/// Closes itself when released, before its file. Not thread-safe: see ``File``.
public final class Group: AttributeHolder {
    /// The group's identifier, owned by this object.
    let id: hid_t
    /// Absolute path of the group in its file, e.g. `"/"` or `"/train/images"`.
    public let name: String
    /// Path of the file containing the group.
    public let file: String
    /// The open file, kept open until this group is closed (Swift releases stored properties
    /// after `deinit` runs), so closing the group never has to close the file.
    let owner: File

    /// Takes ownership of the open group `id`.
    init(adopting id: hid_t, name: String, file: String, owner: File) {
        self.id = id
        self.name = name
        self.file = file
        self.owner = owner
    }

    deinit { H5Gclose(id) }

    var location: Location { Location(id: id, name: name, file: file, owner: owner) }

    /// Where this group's attributes live.
    public var attributeTarget: AttributeTarget { AttributeTarget(id: id, context: location.context) }

    /// Opens the dataset `name` (relative to this group, or absolute with a leading "/").
    ///
    /// - Throws: `.datasetNotFound` listing every dataset in the file if there is none there.
    public func dataset(_ name: String) throws(HDF5Error) -> Dataset {
        try location.dataset(name)
    }

    /// Opens the group `name` (relative to this group, or absolute with a leading "/").
    public func group(_ name: String) throws(HDF5Error) -> Group {
        try location.group(name)
    }

    /// Opens the group `name`, creating it and any missing intermediate groups ("a/b/c").
    /// An existing group is simply opened.
    public func createGroup(_ name: String) throws(HDF5Error) -> Group {
        try location.createGroup(name)
    }

    /// Names of the direct children (datasets, groups and other links), sorted by name.
    public func childNames() throws(HDF5Error) -> [String] {
        try location.childNames()
    }

    /// Whether an object exists at `name` (relative to this group, or absolute).
    public func contains(_ name: String) -> Bool {
        location.contains(location.absolute(name))
    }

    /// Writes a new dataset with the given shape; values.count must equal shape product (else throws .shapeMismatch).
    ///
    /// - Parameters:
    ///   - name: Name relative to this group; missing intermediate groups are created.
    ///   - shape: Dimensions, outermost first; `[]` makes a scalar dataset of one value.
    ///   - values: Elements in row-major (C) order.
    ///   - chunkRows: Store in chunks of this many rows along the first dimension.
    ///   - gzipLevel: Compress with gzip (0–9) and the shuffle filter; chunks by about 1 MiB if
    ///     `chunkRows` is nil.
    ///   - byteOrder: Byte order of the numbers in the file; readers convert automatically.
    /// - Throws: `.shapeMismatch` for a bad shape or chunk size, `.library` if the name exists.
    @discardableResult
    public func createDataset<T: HDF5Scalar>(
        _ name: String,
        shape: [Int],
        values: [T],
        chunkRows: Int? = nil,
        gzipLevel: Int? = nil,
        byteOrder: ByteOrder = .native
    ) throws(HDF5Error) -> Dataset {
        try location.createDataset(name, shape: shape, values: values, chunkRows: chunkRows,
                                   gzipLevel: gzipLevel, byteOrder: byteOrder)
    }

    /// Writes a new one-dimensional dataset of variable-length UTF-8 strings (read by h5py as
    /// `str` objects).
    @discardableResult
    public func createStringDataset(_ name: String, values: [String]) throws(HDF5Error) -> Dataset {
        try location.createStringDataset(name, values: values)
    }
}
