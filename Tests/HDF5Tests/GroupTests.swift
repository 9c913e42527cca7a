import HDF5
@testable import HDF5
import XCTest

/// Groups, nested paths and dataset listing.
final class GroupTests: TemporaryFileTestCase {
    func testNestedCreateGroup() throws {
        let file = try makeFile()
        let c = try file.createGroup("a/b/c")
        XCTAssertEqual(c.name, "/a/b/c")
        XCTAssertTrue(file.contains("/a"))
        XCTAssertTrue(file.contains("a/b"))
        XCTAssertTrue(file.contains("/a/b/c"))
        XCTAssertFalse(file.contains("/a/x"))
        XCTAssertFalse(file.contains("/nothing/deeper"))
        XCTAssertTrue(file.contains("/"))
        XCTAssertEqual(try file.group("a").group("b").name, "/a/b")
        XCTAssertEqual(try file.group("/a/b").group("c").name, "/a/b/c")
        // Creating an existing group opens it.
        XCTAssertEqual(try file.createGroup("/a/b").name, "/a/b")
    }

    func testDatasetPathsListsEverythingSorted() throws {
        let file = try makeFile()
        let root = try file.root
        try root.createDataset("y_train", shape: [2], values: [1, 2] as [UInt8])
        try root.createDataset("x_train", shape: [2], values: [1, 2] as [UInt8])
        try file.createGroup("a/b/c").createDataset("deep", shape: [1], values: [1.0])
        try root.createDataset("train/images", shape: [1], values: [Float(1)])  // intermediate group
        try file.group("a").createDataset("mid", shape: [1], values: [Int8(1)])
        XCTAssertEqual(try file.datasetPaths(),
                       ["/a/b/c/deep", "/a/mid", "/train/images", "/x_train", "/y_train"])
        XCTAssertEqual(try root.childNames(), ["a", "train", "x_train", "y_train"])
        XCTAssertEqual(try file.group("a").childNames(), ["b", "mid"])
        XCTAssertEqual(try file.dataset("train/images").path, "/train/images")
        XCTAssertEqual(try file.group("train").dataset("images").path, "/train/images")
        XCTAssertEqual(try file.group("a/b").dataset("c/deep").read(Double.self), [1])
        XCTAssertEqual(try file.group("a").dataset("/x_train").path, "/x_train")
    }

    func testEmptyFile() throws {
        let file = try makeFile()
        XCTAssertEqual(try file.datasetPaths(), [])
        XCTAssertEqual(try file.root.childNames(), [])
        XCTAssertEqual(try file.root.name, "/")
    }

    func testCreatingAnExistingDatasetFails() throws {
        let root = try makeFile().root
        try root.createDataset("x", shape: [1], values: [1.0])
        let error = expectHDF5Error { try root.createDataset("x", shape: [1], values: [2.0]) }
        XCTAssertEqual(error?.kind, .library)
        XCTAssertEqual(error?.call, "H5Dcreate2")
        XCTAssertEqual(error?.object, "/x")
        XCTAssertTrue(error?.description.contains("H5Dcreate2 failed: name already exists") ?? false,
                      error?.description ?? "")
        XCTAssertTrue(error?.detail.contains("unable to create dataset") ?? false)
    }

    func testMissingGroup() throws {
        let file = try makeFile()
        try file.root.createDataset("x", shape: [1], values: [1.0])
        let missing = expectHDF5Error { try file.group("nope") }
        XCTAssertEqual(missing?.object, "/nope")
        XCTAssertTrue(missing?.description.contains("no group at '/nope'") ?? false)
        let notGroup = expectHDF5Error { try file.group("x") }
        XCTAssertTrue(notGroup?.description.contains("not a group") ?? false)
    }
}
