import CHDF5
import Foundation
import XCTest
@testable import HDF5

/// Created files are built in memory and written by `flush()` and on closing; a file stays open
/// until its groups and datasets are released, and is closed after them; write errors are
/// thrown by `flush()` and leave HDF5 in order.
final class FileLifetimeTests: TemporaryFileTestCase {
    /// How many files, groups and datasets HDF5 has open right now, in all files.
    private func openCounts() -> [Int] {
        [H5F_OBJ_FILE, H5F_OBJ_GROUP, H5F_OBJ_DATASET].map { kind in
            Int(H5Fget_obj_count(hid_t(h5shim_f_obj_all()), UInt32(kind)))
        }
    }

    /// The file at `path`, read with HDF5's own driver (not through this module), as an
    /// independent check of what reached the disk; nil if it is not a readable HDF5 file.
    private func valuesOnDisk(_ path: String, dataset: String) -> [Double]? {
        let file = H5Fopen(path, h5shim_f_acc_rdonly(), h5shim_p_default())
        guard file >= 0 else { H5Eclear2(h5shim_e_default()); return nil }
        defer { H5Fclose(file) }
        let data = H5Dopen2(file, dataset, h5shim_p_default())
        guard data >= 0 else { H5Eclear2(h5shim_e_default()); return nil }
        defer { H5Dclose(data) }
        let space = H5Dget_space(data)
        defer { H5Sclose(space) }
        var values = [Double](repeating: .nan, count: Int(H5Sget_simple_extent_npoints(space)))
        guard H5Dread(data, h5shim_native_double(), h5shim_s_all(), h5shim_s_all(), h5shim_p_default(), &values) >= 0
        else { return nil }
        return values
    }

    func testCreatedFileReachesTheDiskOnFlushAndOnClose() throws {
        initialiseLibrary()
        let path = temporaryPath()
        do {
            let file = try File.create(path)
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, 0,
                           "created empty, as H5Fcreate would")
            try file.root.createDataset("a", shape: [3], values: [1.0, 2.0, 3.0])
            try file.flush()
            XCTAssertEqual(valuesOnDisk(path, dataset: "/a"), [1, 2, 3])
            try file.root.createDataset("b", shape: [2], values: [4.0, 5.0])
            XCTAssertNil(valuesOnDisk(path, dataset: "/b"), "not flushed yet")
        }
        XCTAssertEqual(valuesOnDisk(path, dataset: "/b"), [4, 5], "written when closed")
        XCTAssertEqual(valuesOnDisk(path, dataset: "/a"), [1, 2, 3])
    }

    func testFileClosesOnlyAfterItsGroupsAndDatasets() throws {
        initialiseLibrary()
        let before = openCounts()
        let path = temporaryPath()
        var dataset: Dataset? = try File.create(path).createGroup("g").createDataset("d", shape: [2], values: [7.0, 8.0])
        XCTAssertEqual(openCounts(), [before[0] + 1, before[1], before[2] + 1], "the file stays open for its dataset")
        XCTAssertEqual(try dataset?.read(Double.self), [7, 8])
        dataset = nil
        XCTAssertEqual(openCounts(), before)
        XCTAssertEqual(valuesOnDisk(path, dataset: "/g/d"), [7, 8])
    }

    /// Opening a file this process is still creating shares it, as HDF5 does for open files,
    /// and either may be released first.
    func testOpeningAFileBeingCreatedSharesIt() throws {
        let path = temporaryPath()
        let root = try File.create(path).root
        try root.createDataset("x", shape: [2], values: [Float(1), 2])
        var reader: File? = try File.open(path)
        XCTAssertEqual(try reader?.dataset("x").read(Float.self), [1, 2])
        reader = nil
        try root.createDataset("y", shape: [1], values: [Float(3)])
        XCTAssertEqual(try root.dataset("x").read(Float.self), [1, 2], "the creator's groups still work")
        let second = try File.open(path)
        XCTAssertEqual(try second.dataset("y").read(Float.self), [3])
    }

    /// /dev/full accepts the file but fails every write with ENOSPC, like a full disk.
    func testFlushOnAFullDeviceThrowsAndHDF5StaysInOrder() throws {
        #if os(Linux)
        initialiseLibrary()
        let before = openCounts()
        do {
            let file = try File.create("/dev/full")
            try file.createGroup("g").createDataset("d", shape: [1000], values: [Double](repeating: 1, count: 1000))
            let error = expectHDF5Error { try file.flush() }
            XCTAssertEqual(error?.kind, .library)
            XCTAssertEqual(error?.description, "/dev/full: write failed: No space left on device")
            XCTAssertTrue(error?.detail.contains("errno 28") ?? false, error?.detail ?? "")
            // The file is still usable in memory.
            XCTAssertEqual(try file.dataset("g/d").read(Double.self, rows: 0..<2), [1, 1])
        }
        XCTAssertEqual(openCounts(), before, "closed although it could not be written")
        XCTAssertFalse(hasFailedClose)
        #else
        throw XCTSkip("/dev/full is a Linux device")
        #endif
    }
}
