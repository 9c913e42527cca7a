import Foundation

/// The one lock that serialises HDF5 use between threads.
///
/// The system HDF5 library has unprotected global state (see Check.swift), so a thread that reads a
/// file in the background and a thread that writes a checkpoint must never call into it at the same
/// time. Both wrap each of their uses of HDF5 — including the release of their `File` and
/// `Dataset` objects — in ``serialized(_:)``. Code that uses HDF5 from one thread only need not.
public enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Runs `body` while no other thread runs a `serialized` body (re-entrant on one thread).
    public static func serialized<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
