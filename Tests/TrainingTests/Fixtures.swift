import Foundation
import HDF5

/// Temporary HDF5 files for tests, removed when the test case ends.
final class TemporaryFolder {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("h5train-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes an HDF5 file whose root holds `build`'s datasets, and returns its path.
    func hdf5(_ name: String, _ build: (Group) throws -> Void) throws -> String {
        let path = path(name)
        let file = try File.create(path)
        try build(try file.root)
        try file.flush()
        return path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// The repository's bundled datasets folder.
let datasetsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("datasets")
