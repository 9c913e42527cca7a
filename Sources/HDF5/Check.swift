import CHDF5

// Every HDF5 C call in this module goes through `check`, which turns HDF5's failure return
// values into a thrown `HDF5Error` carrying the call name, the file/object and the error stack.
// The exceptions are calls that cannot usefully fail or report: the H5?close calls in `defer`
// and `deinit`, the error-stack calls below, and the library set-up and termination calls in
// Library.swift. (Created files reach the disk through POSIX calls in DiskCopy.swift.)
//
// Thread safety: the system HDF5 library is built without its thread-safety option, so it has
// unprotected global state. All use of HDF5 in a process must be serialised: use `File`, `Group`
// and `Dataset` values from one thread at a time, and not from two threads at once even when they
// belong to different files. None of them is `Sendable`.

/// Runs once, before the first file is opened or created: initialises the library and turns off
/// HDF5's automatic printing of error stacks to stderr (errors are thrown instead); see
/// `configureLibrary`. A global `let` is initialised lazily and exactly once, even under
/// concurrent first use.
private let libraryInitialisation: Void = configureLibrary()

/// Makes sure the library is initialised and automatic error printing is off.
func initialiseLibrary() {
    _ = libraryInitialisation
}

/// Returns `result` unless `failed(result)` says the call `call` failed, in which case throws an
/// `HDF5Error` of kind `.library` with the current HDF5 error stack (root cause first), which
/// is then cleared.
///
/// Most HDF5 functions signal failure with a negative value (the default test); pass `failed`
/// for the others, e.g. `H5Tget_size`, which returns 0. Where failure is an expected answer
/// ("does this exist?") callers use `try? check(...)`, which also clears the stack.
@discardableResult
func check<R: BinaryInteger>(
    _ call: String,
    _ result: R,
    _ context: Context,
    failed: (R) -> Bool = { $0 < 0 }
) throws(HDF5Error) -> R {
    guard failed(result) else { return result }
    let stack = takeErrorStack()
    let detail = stack.isEmpty ? "no details on the HDF5 error stack" : stack.joined(separator: "; ")
    throw HDF5Error(.library, call: call, file: context.file, object: context.object, detail: detail,
                    summary: stack.first ?? detail)
}

/// The entries on HDF5's default error stack, innermost (the root cause) first, each as
/// "description (minor message)" on one line; clears the stack.
func takeErrorStack() -> [String] {
    var lines: [String] = []
    _ = withUnsafeMutablePointer(to: &lines) { linesPointer in
        H5Ewalk2(h5shim_e_default(), H5E_WALK_UPWARD, { _, entry, clientData in
            guard let entry, let clientData else { return 0 }
            let lines = clientData.assumingMemoryBound(to: [String].self)
            var text = entry.pointee.desc.map { String(cString: $0) } ?? ""
            var minor = [CChar](repeating: 0, count: 256)
            if H5Eget_msg(entry.pointee.min_num, nil, &minor, minor.count) > 0 {
                let message = decodeCString(minor)
                if !message.isEmpty, !text.lowercased().contains(message.lowercased()) { text += " (\(message))" }
            }
            let line = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if !line.isEmpty, !lines.pointee.contains(line) { lines.pointee.append(line) }
            return 0
        }, linesPointer)
    }
    H5Eclear2(h5shim_e_default())
    return lines
}
