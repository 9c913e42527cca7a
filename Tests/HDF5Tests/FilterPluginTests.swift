import CHDF5
import Foundation
import XCTest
@testable import HDF5

/// Files compressed with filters HDF5 loads from plugins, as h5py and PyTables users write them
/// (fixtures from tools/make-filter-fixtures.py).
final class FilterPluginTests: XCTestCase {
    /// A fixture file in Tests/HDF5Tests/Fixtures.
    private func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// Whether HDF5 can load the filter `id` (after this module has set up the plugin path).
    private func filterAvailable(_ id: Int32) -> Bool {
        initialiseLibrary()
        return H5Zfilter_avail(id) > 0
    }

    func testLZFFileWrittenByH5pyReadsItsValues() throws {
        guard filterAvailable(32000) else {
            throw XCTSkip("the LZF plugin is not installed (tools/install-deps installs hdf5-plugin-lzf and liblzf1)")
        }
        let file = try File.open(fixture("lzf.h5"))
        let x = try file.dataset("x"), y = try file.dataset("y")
        XCTAssertEqual(x.shape, [120, 6])
        XCTAssertEqual(y.shape, [120])
        // x[i, j] = ((7i + 3j) mod 11 − 5) / 4, y[i] = 1 when row i sums to more than 0.
        var expectedX: [Float] = [], expectedY: [Int64] = []
        for i in 0..<120 {
            let row = (0..<6).map { (j: Int) -> Float in Float((7 * i + 3 * j) % 11 - 5) / 4 }
            expectedX += row
            expectedY.append(row.reduce(0, +) > 0 ? 1 : 0)
        }
        XCTAssertEqual(try x.read(Float.self), expectedX)
        XCTAssertEqual(try y.read(Int64.self), expectedY)
        // Rows across a chunk boundary (chunks hold 30 rows).
        XCTAssertEqual(try x.read(Float.self, rows: 25..<65), Array(expectedX[(25 * 6)..<(65 * 6)]))
    }

    func testMissingFilterIsOneLineNamingFileDatasetFilterAndPackage() throws {
        let path = fixture("no-plugin.h5")
        let file = try File.open(path)
        guard !filterAvailable(32013) else { throw XCTSkip("a ZFP plugin is installed, so filter 32013 is not missing") }
        let zfp = expectHDF5Error { try file.dataset("zfp").read(Float.self) }
        XCTAssertEqual(zfp?.kind, .filterUnavailable(id: 32013, name: "ZFP"))
        XCTAssertEqual(zfp?.description,
                       "\(path):/zfp: compressed with the ZFP filter (HDF5 filter id 32013), which HDF5 cannot load here; "
                       + "install the Debian package hdf5-filter-plugin-zfp-serial (tools/install-deps --all-filters does)")
    }

    func testFilterWithoutADebianPackageSaysHowToInstallOne() throws {
        let path = fixture("no-plugin.h5")
        let file = try File.open(path)
        guard !filterAvailable(32015) else { throw XCTSkip("a Zstandard plugin is installed, so filter 32015 is not missing") }
        var buffer = [Float](repeating: 0, count: 6)
        let error = buffer.withUnsafeMutableBufferPointer { pointer in
            expectHDF5Error { try file.dataset("zstd").read(rows: 1..<3, into: pointer) }
        }
        XCTAssertEqual(error?.kind, .filterUnavailable(id: 32015, name: "Zstandard"))
        XCTAssertEqual(error?.description,
                       "\(path):/zstd: compressed with the Zstandard filter (HDF5 filter id 32015), which HDF5 cannot load "
                       + "here; install an HDF5 plugin for it and set HDF5_PLUGIN_PATH to its folder")
        XCTAssertFalse(error?.description.contains("\n") ?? true)
    }

    /// HDF5 1.10 gives up the whole plugin search at the first folder it cannot open; such
    /// folders are dropped, and the Debian folders stay.
    func testMissingPluginFolderIsDroppedFromTheSearchPath() throws {
        initialiseLibrary()
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-plugins-\(UUID().uuidString)").path
        XCTAssertEqual(H5PLprepend(missing), 0)
        XCTAssertEqual(FilterPlugins.searchPath().first, missing)
        FilterPlugins.configure()
        let path = FilterPlugins.searchPath()
        XCTAssertFalse(path.contains(missing), "\(path)")
        for folder in FilterPlugins.debianFolders() {
            XCTAssertEqual(path.filter { $0 == folder }.count, 1, "\(folder) once in \(path)")
        }
    }
}
