import HDF5
@testable import HDF5
import XCTest

/// Attributes of every kind on groups and datasets.
final class AttributeTests: TemporaryFileTestCase {
    private func checkAllKinds(on holder: AttributeHolder) throws {
        try holder.setAttribute("name", "MNIST – ünïcode ✓")
        try holder.setAttribute("count", Int.min)
        try holder.setAttribute("big", Int.max)
        try holder.setAttribute("rate", 0.001)
        try holder.setAttribute("shape", [60_000, 28, 28])
        try holder.setAttribute("mean", [0.1307, -0.5, 1e300])
        try holder.setAttribute("none", [Int]())
        try holder.setAttribute("nothing", [Double]())

        XCTAssertEqual(try holder.stringAttribute("name"), "MNIST – ünïcode ✓")
        XCTAssertEqual(try holder.intAttribute("count"), Int.min)
        XCTAssertEqual(try holder.intAttribute("big"), Int.max)
        XCTAssertEqual(try holder.doubleAttribute("rate"), 0.001)
        XCTAssertEqual(try holder.intArrayAttribute("shape"), [60_000, 28, 28])
        XCTAssertEqual(try holder.doubleArrayAttribute("mean"), [0.1307, -0.5, 1e300])
        XCTAssertEqual(try holder.intArrayAttribute("none"), [])
        XCTAssertEqual(try holder.doubleArrayAttribute("nothing"), [])
        XCTAssertEqual(try holder.attributeNames(),
                       ["big", "count", "mean", "name", "none", "nothing", "rate", "shape"])
        XCTAssertTrue(holder.hasAttribute("rate"))
        XCTAssertFalse(holder.hasAttribute("missing"))

        // Integers read as doubles; a single-element array reads as a scalar.
        XCTAssertEqual(try holder.doubleAttribute("big"), Double(Int.max))
        XCTAssertEqual(try holder.doubleArrayAttribute("shape"), [60_000, 28, 28])
        try holder.setAttribute("one", [7])
        XCTAssertEqual(try holder.intAttribute("one"), 7)
        XCTAssertEqual(try holder.intArrayAttribute("count"), [Int.min])
    }

    func testEveryKindOnGroupAndDataset() throws {
        let file = try makeFile()
        try checkAllKinds(on: try file.root)
        try checkAllKinds(on: try file.createGroup("g/h"))
        try checkAllKinds(on: try file.root.createDataset("d", shape: [2], values: [1.0, 2.0]))
    }

    func testAttributesSurviveReopening() throws {
        let path = temporaryPath()
        do {
            let file = try File.create(path)
            let dataset = try file.root.createDataset("x", shape: [1], values: [Float(0)])
            try dataset.setAttribute("units", "pixels")
            try dataset.setAttribute("scale", [1.0, 2.0])
        }
        let dataset = try File.open(path).dataset("x")
        XCTAssertEqual(try dataset.stringAttribute("units"), "pixels")
        XCTAssertEqual(try dataset.doubleArrayAttribute("scale"), [1.0, 2.0])
    }

    func testOverwriteReplacesValueAndType() throws {
        let root = try makeFile().root
        try root.setAttribute("x", "first")
        try root.setAttribute("x", "second, and longer")
        XCTAssertEqual(try root.stringAttribute("x"), "second, and longer")
        try root.setAttribute("x", 42)
        XCTAssertEqual(try root.intAttribute("x"), 42)
        try root.setAttribute("x", [1.5, 2.5, 3.5])
        XCTAssertEqual(try root.doubleArrayAttribute("x"), [1.5, 2.5, 3.5])
        try root.setAttribute("x", 2.0)
        XCTAssertEqual(try root.doubleAttribute("x"), 2.0)
        XCTAssertEqual(try root.attributeNames(), ["x"])
        try root.removeAttribute("x")
        XCTAssertFalse(root.hasAttribute("x"))
        XCTAssertEqual(try root.attributeNames(), [])
    }

    func testWrongKindsThrow() throws {
        let root = try makeFile().root
        try root.setAttribute("text", "hello")
        try root.setAttribute("real", 1.5)
        try root.setAttribute("many", [1, 2])

        let stringAsInt = expectHDF5Error { try root.intAttribute("text") }
        XCTAssertEqual(stringAsInt?.kind, .unsupportedType("string"))
        XCTAssertTrue(stringAsInt?.description.contains("attribute 'text' holds strings") ?? false)
        XCTAssertEqual(expectHDF5Error { try root.intAttribute("real") }?.kind, .unsupportedType("float64"))
        XCTAssertEqual(expectHDF5Error { try root.stringAttribute("real") }?.kind, .unsupportedType("float64"))
        XCTAssertEqual(expectHDF5Error { try root.intAttribute("many") }?.kind, .shapeMismatch)

        let missing = expectHDF5Error { try root.doubleAttribute("absent") }
        XCTAssertEqual(missing?.kind, .library)
        XCTAssertTrue(missing?.description.contains("no attribute 'absent'") ?? false)
        XCTAssertTrue(missing?.description.contains("many, real, text") ?? false)
    }
}
