import CHDF5
import Foundation

/// An open HDF5 file.
///
/// Closes itself when released; groups and datasets opened from it stay usable after that,
/// and HDF5 closes the file once the last of them is released too.
///
/// Not thread-safe: the HDF5 library on this system is built without thread-safety, so a
/// process must use HDF5 from one thread at a time — including separate `File`s. `File`,
/// `Group` and `Dataset` are deliberately not `Sendable`.
public final class File {
    /// How an existing file is opened.
    public enum Mode: Sendable {
        /// Reading only; several processes may read the same file.
        case readOnly
        /// Reading and writing.
        case readWrite
    }

    /// The file's identifier, owned by this object.
    let id: hid_t
    /// The path the file was opened or created with.
    public let path: String

    private init(adopting id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    deinit { H5Fclose(id) }

    var location: Location { Location(id: id, name: "/", file: path) }

    /// Opens an existing HDF5 file.
    ///
    /// - Throws: `.fileNotFound` if nothing exists at `path`, `.notHDF5` if it is a directory or
    ///   another kind of file, `.library` for other failures (e.g. permissions).
    public static func open(_ path: String, mode: Mode = .readOnly) throws(HDF5Error) -> File {
        initialiseLibrary()
        let context = Context(file: path, object: "")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw context.error(.fileNotFound, "open", "no file or directory at this path")
        }
        guard !isDirectory.boolValue else {
            throw context.error(.notHDF5, "open", "it is a directory")
        }
        guard try check("H5Fis_hdf5", H5Fis_hdf5(path), context) > 0 else {
            throw context.error(.notHDF5, "H5Fis_hdf5", "no HDF5 signature found")
        }
        let flags = mode == .readOnly ? h5shim_f_acc_rdonly() : h5shim_f_acc_rdwr()
        let id = try check("H5Fopen", H5Fopen(path, flags, h5shim_p_default()), context)
        return File(adopting: id, path: path)
    }

    /// Creates a new, empty HDF5 file, replacing any existing file at `path`.
    public static func create(_ path: String) throws(HDF5Error) -> File {
        initialiseLibrary()
        let context = Context(file: path, object: "")
        let id = try check("H5Fcreate", H5Fcreate(path, h5shim_f_acc_trunc(), h5shim_p_default(),
                                                  h5shim_p_default()), context)
        return File(adopting: id, path: path)
    }

    /// The root group, "/".
    public var root: Group {
        get throws(HDF5Error) { try location.group("/") }
    }

    /// Opens the dataset at `path`, e.g. `"/x_train"` or `"train/images"` (relative to the root).
    ///
    /// - Throws: `.datasetNotFound` listing every dataset in the file if there is none there.
    public func dataset(_ path: String) throws(HDF5Error) -> Dataset {
        try location.dataset(path)
    }

    /// Opens the group at `path`.
    public func group(_ path: String) throws(HDF5Error) -> Group {
        try location.group(path)
    }

    /// Opens the group at `path`, creating it and any missing intermediate groups ("a/b/c").
    /// An existing group is simply opened.
    public func createGroup(_ path: String) throws(HDF5Error) -> Group {
        try location.createGroup(path)
    }

    /// Every dataset in the file, found recursively through hard links, as sorted absolute
    /// paths ("/train/images", "/x_test", …).
    public func datasetPaths() throws(HDF5Error) -> [String] {
        try location.datasetPaths(under: "/")
    }

    /// Whether an object (group, dataset, …) exists at `path`.
    public func contains(_ path: String) -> Bool {
        location.contains(location.absolute(path))
    }

    /// Writes everything buffered for this file to disk.
    public func flush() throws(HDF5Error) {
        try check("H5Fflush", H5Fflush(id, H5F_SCOPE_GLOBAL), location.context)
    }
}
