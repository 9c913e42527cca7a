import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file on disk behind a ``File`` this module created.
///
/// HDF5 builds created files in memory (its "core" driver without a backing store) and this
/// type writes the finished image with plain POSIX calls. HDF5 itself therefore never meets a
/// full disk or a file-size limit: if writing fails, the error is this type's, thrown with the
/// operating system's reason, and HDF5 still closes its in-memory file cleanly. (When HDF5
/// 1.10's own write fails while a file is being closed, it leaves a dangling identifier that
/// crashes the process at exit.)
final class DiskCopy {
    /// The path the file was created at.
    let path: String
    /// Open for reading and writing from creation until this object is released.
    private let descriptor: Int32

    /// Creates (or truncates to nothing) the file at `path`, as `H5Fcreate` with
    /// `H5F_ACC_TRUNC` would, so an unwritable path fails at once.
    init(creating path: String) throws(HDF5Error) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw Self.systemError("open", path) }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Whether `path` names this file (the same device and inode).
    func isSameFile(as path: String) -> Bool {
        var mine = stat(), theirs = stat()
        return fstat(descriptor, &mine) == 0 && stat(path, &theirs) == 0
            && mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino
    }

    /// Makes the file hold exactly `image`, unless it already does.
    func store(_ image: UnsafeRawBufferPointer) throws(HDF5Error) {
        guard !holds(image) else { return }
        var offset = 0
        while offset < image.count {
            let written = pwrite(descriptor, image.baseAddress! + offset, image.count - offset, off_t(offset))
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw Self.systemError("write", path, after: "\(offset) of \(image.count) bytes")
            }
            offset += written
        }
        guard ftruncate(descriptor, off_t(image.count)) == 0 else { throw Self.systemError("ftruncate", path) }
    }

    /// Whether the file already holds exactly `image` (compared in 1 MiB pieces).
    private func holds(_ image: UnsafeRawBufferPointer) -> Bool {
        var status = stat()
        guard fstat(descriptor, &status) == 0, Int(status.st_size) == image.count else { return false }
        let pieceSize = 1 << 20
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: pieceSize, alignment: 16)
        defer { piece.deallocate() }
        var offset = 0
        while offset < image.count {
            let count = min(pieceSize, image.count - offset)
            guard pread(descriptor, piece.baseAddress!, count, off_t(offset)) == count,
                  memcmp(piece.baseAddress!, image.baseAddress! + offset, count) == 0 else { return false }
            offset += count
        }
        return true
    }

    /// An error for the failed system call `call` on `path`, with the reason from `errno`.
    private static func systemError(_ call: String, _ path: String, after progress: String? = nil) -> HDF5Error {
        let code = errno
        let reason = String(cString: strerror(code))
        let detail = progress.map { "\(reason) (errno \(code), after \($0))" } ?? "\(reason) (errno \(code))"
        return HDF5Error(.library, call: call, file: path, object: "", detail: detail, summary: reason)
    }
}

extension File {
    /// Copies the in-memory file to `disk`: flushes HDF5's caches, takes the file image and
    /// stores it unless the disk already holds it.
    func store(to disk: DiskCopy) throws(HDF5Error) {
        let context = Context(file: path, object: "")  // not `location`: this also runs in deinit
        try check("H5Fflush", H5Fflush(id, H5F_SCOPE_GLOBAL), context)
        let size = try check("H5Fget_file_image", H5Fget_file_image(id, nil, 0), context)
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        defer { image.deallocate() }
        let copied = try check("H5Fget_file_image", H5Fget_file_image(id, image.baseAddress, size), context)
        try disk.store(UnsafeRawBufferPointer(rebasing: image[0..<copied]))
    }
}

/// The files `File.create` made that are still open, so that `File.open` of the same file shares
/// the one in memory (as HDF5 itself shares a file opened twice) rather than reading a disk copy
/// that is not written yet. Like all HDF5 use, only from one thread at a time (see `File`).
enum CreatedFiles {
    private struct Entry {
        weak var file: File?
    }

    nonisolated(unsafe) private static var entries: [Entry] = []

    /// Remembers `file` while it is open.
    static func register(_ file: File) {
        entries.removeAll { $0.file == nil }
        entries.append(Entry(file: file))
    }

    /// The open file being created at the file `path` names, if any.
    static func open(at path: String) -> File? {
        entries.lazy.compactMap(\.file).first { $0.isCreating(path) }
    }
}

/// A file-access property list for files built in memory: HDF5's core driver without a backing
/// store (grown 4 MiB at a time), and the strong close degree, so closing the file also closes
/// anything still open in it. The caller closes the list.
func inMemoryFileAccess(_ context: Context) throws(HDF5Error) -> hid_t {
    let list = try check("H5Pcreate", H5Pcreate(h5shim_p_file_access()), context)
    do throws(HDF5Error) {
        try check("H5Pset_fapl_core", H5Pset_fapl_core(list, 4 << 20, false), context)
        try check("H5Pset_fclose_degree", H5Pset_fclose_degree(list, H5F_CLOSE_STRONG), context)
    } catch {
        H5Pclose(list)
        throw error
    }
    return list
}
