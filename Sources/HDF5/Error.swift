/// An error from the HDF5 library or from this wrapper's own checks.
///
/// Every failing HDF5 C call becomes an `HDF5Error` carrying the name of the call, the file and
/// object it was working on, and the text of HDF5's error stack. Errors this wrapper detects
/// itself (a missing file, a dataset of the wrong type, a row range outside a dataset) have a
/// more specific ``kind`` and a `detail` written for people.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    /// What went wrong, in a form code can switch on.
    public enum Kind: Equatable, Sendable {
        /// The file does not exist.
        case fileNotFound
        /// The file exists but is not an HDF5 file (or is a directory).
        case notHDF5
        /// No dataset at the requested path; `available` lists every dataset in the file.
        case datasetNotFound(available: [String])
        /// The stored element type cannot be used as requested; the payload names that type.
        case unsupportedType(String)
        /// Sizes disagree: a value count, a buffer size, or a row range outside the dataset.
        case shapeMismatch
        /// The dataset is compressed with a filter whose plugin HDF5 cannot load (e.g. LZF,
        /// id 32000); `detail` names the package that provides it.
        case filterUnavailable(id: Int, name: String)
        /// Any other failure reported by the HDF5 library.
        case library
    }

    /// What went wrong.
    public let kind: Kind
    /// The HDF5 C function that failed (e.g. `"H5Dread"`), or the wrapper operation.
    public let call: String
    /// The file path and, after a colon, the object path, e.g. `"data.h5:/x_train"`.
    public let path: String
    /// The HDF5 error stack text, or this wrapper's explanation.
    public let detail: String
    /// The file the error concerns.
    public let file: String
    /// The object path inside the file (e.g. `"/x_train"`), or empty when it concerns the file.
    public let object: String
    /// The part of `detail` the description shows: the root cause of a library failure.
    private let summary: String
    /// What the failed call was doing, e.g. "rows 0..<128 of 1437", or empty.
    private var scope = ""

    /// Creates an error about `object` in `file`.
    public init(_ kind: Kind, call: String, file: String, object: String = "", detail: String) {
        self.init(kind, call: call, file: file, object: object, detail: detail, summary: detail)
    }

    /// Creates an error whose description shows `summary` rather than all of `detail`.
    init(_ kind: Kind, call: String, file: String, object: String, detail: String, summary: String) {
        self.kind = kind
        self.call = call
        self.file = file
        self.object = object
        self.path = object.isEmpty ? file : "\(file):\(object)"
        self.detail = detail
        self.summary = summary
    }

    /// One sentence for users (for library failures, only the root cause from the error stack;
    /// `detail` has all of it), e.g.
    /// `data.h5: no dataset '/x' (datasets in the file: /x_train, /y_train)`.
    public var description: String {
        switch kind {
        case .fileNotFound:
            return "\(file): no such file"
        case .notHDF5:
            return "\(file): not an HDF5 file (\(detail))"
        case .datasetNotFound(let available):
            let listing = available.isEmpty
                ? "the file contains no datasets"
                : "datasets in the file: " + available.joined(separator: ", ")
            return "\(file): no dataset '\(object)' (\(listing))"
        case .unsupportedType:
            return "\(path) \(detail)"
        case .shapeMismatch, .filterUnavailable:
            return "\(path): \(detail)"
        case .library:
            let scope = scope.isEmpty ? "" : " for \(scope)"
            return "\(path): \(call) failed\(scope): \(summary)"
        }
    }

    /// The same error, saying what the failed call was doing, e.g. "rows 0..<128 of 1437".
    func scoped(_ scope: String) -> HDF5Error {
        var copy = self
        copy.scope = scope
        return copy
    }
}

/// Where an operation happens, for error messages.
struct Context {
    /// The file path as the user gave it.
    let file: String
    /// The object path inside the file, or empty.
    let object: String

    /// An error of `kind` at this place.
    func error(_ kind: HDF5Error.Kind, _ call: String, _ detail: String) -> HDF5Error {
        HDF5Error(kind, call: call, file: file, object: object, detail: detail)
    }

    /// The same file, a different object.
    func at(_ object: String) -> Context {
        Context(file: file, object: object)
    }
}
