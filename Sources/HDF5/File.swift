import CHDF5
import Foundation

/// An open HDF5 file.
///
/// Groups and datasets opened from a file keep it open: the file is closed when the `File` and
/// every group and dataset from it have been released, always after them.
///
/// A file made by ``create(_:)`` is built in memory and written to disk by ``flush()`` and when
/// it is closed; call ``flush()`` to learn whether the data reached the disk (a full disk or a
/// file-size limit is reported there, and the process stays healthy).
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
    /// Where a created file is written; nil for files opened from disk.
    private let disk: DiskCopy?
    /// Whether HDF5 may write to the file (created, or opened read-write).
    private let writable: Bool
    /// For a file opened while this process was still creating it: the creating `File`, kept
    /// open (and unwritten) while this one is.
    private let creator: File?

    private init(adopting id: hid_t, path: String, disk: DiskCopy?, writable: Bool, creator: File? = nil) {
        self.id = id
        self.path = path
        self.disk = disk
        self.writable = writable
        self.creator = creator
    }

    /// Runs after every group and dataset of the file is closed (they keep the file alive).
    /// Errors cannot be reported here; `flush()` reports them.
    deinit {
        if let disk {
            try? store(to: disk)
        } else if writable, (try? check("H5Fflush", H5Fflush(id, H5F_SCOPE_LOCAL), Context(file: path, object: ""))) == nil {
            // Closing would fail the same way and leave a dangling identifier (see Library.swift).
            noteFailedClose()
            return
        }
        if H5Fclose(id) < 0 {
            H5Eclear2(h5shim_e_default())
            noteFailedClose()
        }
    }

    var location: Location { Location(id: id, name: "/", file: path, owner: self) }

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
        if let creator = CreatedFiles.open(at: path) {
            // Not on disk yet: share the file being created, as HDF5 shares files it has open
            // (the reopened file keeps the creator's read-write access, whatever `mode` says).
            let id = try check("H5Freopen", H5Freopen(creator.id), context)
            return File(adopting: id, path: path, disk: nil, writable: true, creator: creator)
        }
        guard try check("H5Fis_hdf5", H5Fis_hdf5(path), context) > 0 else {
            throw context.error(.notHDF5, "H5Fis_hdf5", "no HDF5 signature found")
        }
        let flags = mode == .readOnly ? h5shim_f_acc_rdonly() : h5shim_f_acc_rdwr()
        let id = try check("H5Fopen", H5Fopen(path, flags, h5shim_p_default()), context)
        return File(adopting: id, path: path, disk: nil, writable: mode == .readWrite)
    }

    /// Creates a new, empty HDF5 file, replacing any existing file at `path` (which is emptied
    /// at once). The contents are built in memory and written by ``flush()`` and on closing.
    public static func create(_ path: String) throws(HDF5Error) -> File {
        initialiseLibrary()
        let context = Context(file: path, object: "")
        let disk = try DiskCopy(creating: path)
        let access = try inMemoryFileAccess(context)
        defer { H5Pclose(access) }
        let id = try check("H5Fcreate", H5Fcreate(path, h5shim_f_acc_trunc(), h5shim_p_default(), access), context)
        let file = File(adopting: id, path: path, disk: disk, writable: true)
        CreatedFiles.register(file)
        return file
    }

    /// Whether this file is being created at the same file on disk as `path` names.
    func isCreating(_ path: String) -> Bool {
        disk?.isSameFile(as: path) ?? false
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
    ///
    /// - Throws: `.library` naming the failed call and the reason, e.g. `write failed: No space
    ///   left on device`; the `File` stays usable and can be released normally.
    public func flush() throws(HDF5Error) {
        if let disk {
            try store(to: disk)
        } else {
            try check("H5Fflush", H5Fflush(id, H5F_SCOPE_GLOBAL), location.context)
        }
    }
}
