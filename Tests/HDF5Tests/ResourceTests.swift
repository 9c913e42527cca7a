import CHDF5
import HDF5
@testable import HDF5
import XCTest

/// Every file, group, dataset and attribute this module opens is closed again, on success and
/// on error paths. (HDF5 offers no public count of open dataspaces or property lists.)
final class ResourceTests: TemporaryFileTestCase {
    /// How many files, groups, datasets and attributes HDF5 has open right now, in all files.
    private func openIdentifierCounts() -> [Int] {
        [H5F_OBJ_FILE, H5F_OBJ_GROUP, H5F_OBJ_DATASET, H5F_OBJ_ATTR].map { kind in
            Int(H5Fget_obj_count(hid_t(h5shim_f_obj_all()), UInt32(kind)))
        }
    }

    func testNothingLeaks() throws {
        initialiseLibrary()
        let path = temporaryPath()
        _ = try File.create(path).root.createDataset("warm-up", shape: [1], values: [1.0])
        let before = openIdentifierCounts()
        XCTAssertEqual(before, [0, 0, 0, 0])
        do {
            let file = try File.open(path, mode: .readWrite)
            let group = try file.createGroup("a/b")
            let dataset = try group.createDataset("d", shape: [4, 2], values: (0..<8).map { Float($0) },
                                                  chunkRows: 2, gzipLevel: 1, byteOrder: .bigEndian)
            _ = try dataset.read(Double.self, rows: 1..<3)
            try dataset.setAttribute("s", "text")
            try dataset.setAttribute("s", [1, 2])
            _ = try dataset.intArrayAttribute("s")
            try group.setAttribute("t", "x")
            _ = try group.stringAttribute("t")
            _ = try group.createStringDataset("names", values: ["a", "b"]).readStrings()
            _ = try file.datasetPaths()
            _ = try file.root.childNames()
            _ = try dataset.attributeNames()
            _ = try dataset.storedByteOrder()
            // Error paths.
            _ = try? file.dataset("missing")
            _ = try? group.dataset("names").read(Float.self)
            _ = try? dataset.read(Float.self, rows: 3..<9)
            _ = try? dataset.intAttribute("nope")
            _ = try? group.stringAttribute("nope")
            _ = try? group.intAttribute("t")
            _ = try? group.createDataset("d", shape: [1], values: [1.0])
            _ = try? group.createDataset("bad", shape: [2], values: [1.0])
            _ = try? group.createDataset("s", shape: [], values: [1.0], gzipLevel: 3)
            _ = try? file.group("a/b/d")
            _ = file.contains("a/b/d/x")
            try file.flush()
        }
        XCTAssertEqual(openIdentifierCounts(), before, "open files, groups, datasets, attributes")
    }

    func testObjectsOutliveTheirFile() throws {
        let path = temporaryPath()
        _ = try File.create(path).root.createDataset("x", shape: [2], values: [1.0, 2.0])
        let dataset = try File.open(path).dataset("x")  // the File itself is released at once
        XCTAssertEqual(try dataset.read(Double.self), [1, 2])
        XCTAssertEqual(dataset.file, path)
    }
}
