import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Process-wide set-up of the HDF5 library, and its orderly termination at exit.
//
// HDF5 normally registers its own `atexit` handler, which closes every identifier still open.
// HDF5 1.10 has a defect there: when destroying a file fails (its final flush hits a full disk),
// the library frees the file's memory but keeps the identifier, and the handler at exit then
// reads freed memory and crashes (SIGSEGV in H5_term_library; HDF5 1.14 frees the file only when
// its destruction succeeds, Debian 12 ships 1.10.8). This module therefore
//   - never lets HDF5 write files it creates (they are built in memory, see `DiskCopy`),
//   - flushes a file opened for writing before closing it, and leaks the identifier instead of
//     closing it when that flush fails (a leaked identifier is valid, a half-closed one is not),
//   - and installs its own exit handler, which terminates the library only when no file has
//     failed to close; otherwise the operating system releases everything.

/// How many files could not be flushed or closed; any makes the exit handler skip `H5close`.
/// Changed only where HDF5 is used, which is one thread at a time (see `File`); read at exit.
nonisolated(unsafe) private var failedCloses = 0

/// Records that a file could not be flushed or closed, so HDF5 is not terminated at exit.
func noteFailedClose() {
    failedCloses += 1
}

/// Whether a file has failed to flush or close in this process.
var hasFailedClose: Bool {
    failedCloses > 0
}

/// Initialises HDF5 (once, before any other call): no automatic error printing (errors are
/// thrown), this module's exit handler instead of the library's, and the filter plugins.
func configureLibrary() {
    _ = H5dont_atexit()  // must precede H5open; fails harmlessly if HDF5 was already initialised
    _ = H5open()
    _ = H5Eset_auto2(h5shim_e_default(), nil, nil)
    atexit {
        if !hasFailedClose { _ = H5close() }
    }
    FilterPlugins.configure()
}
