import Foundation
@testable import HDF5
import HDF5
import XCTest

/// The shared MNIST file (gzip-compressed uint8), if this machine has it.
final class MNISTTests: XCTestCase {
    /// `<repo>/../shared/datasets/mnist.h5`, found from this source file's location.
    private func mnistFile() throws -> File {
        let repositoryRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // HDF5Tests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repository root
        let path = repositoryRoot.appendingPathComponent("../shared/datasets/mnist.h5").standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("no MNIST file at \(path)")
        }
        return try File.open(path)
    }

    func testImages() throws {
        let file = try mnistFile()
        XCTAssertEqual(try file.datasetPaths(), ["/x_test", "/x_train", "/y_test", "/y_train"])
        let images = try file.dataset("/x_train")
        XCTAssertEqual(images.shape, [60_000, 28, 28])
        XCTAssertEqual(images.elementType, .unsignedInteger(bytes: 1))
        XCTAssertEqual(images.elementType.unsignedMaximum, 255)
        XCTAssertEqual(images.elementsPerRow, 784)

        let firstRows = try images.read(Float.self, rows: 0..<3)
        XCTAssertEqual(firstRows.count, 3 * 784)
        XCTAssertTrue(firstRows.allSatisfy { (0...255).contains($0) })
        XCTAssertGreaterThan(firstRows.filter { $0 > 0 }.count, 100)
        XCTAssertEqual(firstRows.max(), 255)
        // The same pixels read in their stored type agree exactly.
        XCTAssertEqual(try images.read(UInt8.self, rows: 0..<3).map { Float($0) }, firstRows)
        // A range across a chunk boundary (chunks are 1000 rows).
        XCTAssertEqual(try images.read(UInt8.self, rows: 999..<1001).count, 2 * 784)
        XCTAssertEqual(try images.read(UInt8.self, rows: 59_999..<60_000).count, 784)
    }

    func testLabelsAndAttributes() throws {
        let file = try mnistFile()
        let labels = try file.dataset("y_train")
        XCTAssertEqual(labels.shape, [60_000])
        XCTAssertEqual(try labels.read(Int.self, rows: 0..<10), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        let root = try file.root
        XCTAssertEqual(try root.intAttribute("classes"), 10)
        XCTAssertTrue(try root.stringAttribute("source").hasPrefix("MNIST"))
        XCTAssertEqual(try root.attributeNames(), ["classes", "source"])
    }
}
