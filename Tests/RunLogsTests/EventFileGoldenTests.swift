import Foundation
import TensorBoardProto
import XCTest
@testable import RunLogs

/// The event file against Fixtures/golden.tfevents, written by TensorBoard's own Python
/// EventFileWriter (tools/make-tensorboard-fixture.py) with the same events and wall times.
final class EventFileGoldenTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The script's `golden_values()`: 200 values over seven decades, then 0, ±1e-13, 3e25 and a NaN.
    static var goldenValues: [Float] {
        let scales: [Double] = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
        var values: [Float] = []
        for i in 0..<200 {
            let numerator = Double((i * 37) % 101 - 50)
            values.append(Float(numerator / 8.0 * scales[i % 7]))
        }
        let extremes: [Float] = [0, Float(1e-13), Float(-1e-13), Float(3e25), .nan]
        return values + extremes
    }

    /// Writes the script's events with its wall times; returns the file's bytes.
    private func writeGoldenEvents() throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-golden-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let writer = try TensorBoardWriter(directory: folder, fileName: "events.out.tfevents.golden", wallTime: 1_700_000_000.25,
                                           sourceWriter: "tensorboard.summary.writer.event_file_writer")
        try writer.text(tag: "run/config", text: "h5train train --hidden 512,256\n\n**β₁** cycles", step: 0, wallTime: 1_700_000_000.5)
        try writer.scalar(tag: "train/loss", value: 2.302585, step: 1, wallTime: 1_700_000_001.0)
        try writer.scalar(tag: "train/lr", value: 0.05, step: 1, wallTime: 1_700_000_001.0)
        try writer.scalar(tag: "train/loss", value: 1.25, step: 2, wallTime: 1_700_000_002.75)
        try writer.histogram(tag: "layer1/weight", values: Self.goldenValues, step: 469, wallTime: 1_700_000_010.125)
        try writer.histogram(tag: "layer1/empty", values: [Float](), step: 469, wallTime: 1_700_000_010.125)
        try writer.histogram(tag: "layer2/bias", values: [0.5, 0.5, 0.5, -2] as [Float], step: 469, wallTime: 1_700_000_010.125)
        try writer.close()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/events.out.tfevents.golden")))
    }

    func testRecordsDecodeLikeTheGoldenFile() throws {
        let golden = try TFRecordReading.events(in: [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("golden.tfevents"))))
        let ours = try TFRecordReading.events(in: try writeGoldenEvents())
        XCTAssertEqual(golden.count, 8)
        XCTAssertEqual(ours.count, golden.count)
        for (index, (mine, theirs)) in zip(ours, golden).enumerated() {
            XCTAssertEqual(mine, theirs, "event \(index) differs")
        }
        XCTAssertEqual(ours.first?.fileVersion, "brain.Event:2")
    }

    func testBytesEqualTheGoldenFile() throws {
        let golden = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("golden.tfevents")))
        let ours = try writeGoldenEvents()
        XCTAssertEqual(ours.count, golden.count)
        let firstDifference = zip(ours, golden).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        XCTAssertNil(firstDifference, "first differing byte at offset \(firstDifference ?? -1)")
    }

    /// A damaged record is caught by its CRC (so the reader above really checks them).
    func testReaderRejectsACorruptedByte() throws {
        var bytes = try writeGoldenEvents()
        bytes[40] ^= 0x01
        XCTAssertThrowsError(try TFRecordReading.events(in: bytes))
    }

    func testFileNameAndFolderCreation() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-name-\(UUID().uuidString)/nested").path
        defer { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        let writer = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_123.9)
        try writer.close()
        let name = (writer.path as NSString).lastPathComponent
        XCTAssertTrue(name.hasPrefix("events.out.tfevents.1700000123."), name)
        XCTAssertTrue(name.hasSuffix(".\(ProcessInfo.processInfo.processIdentifier)"), name)
        let events = try TFRecordReading.events(in: [UInt8](Data(contentsOf: URL(fileURLWithPath: writer.path))))
        XCTAssertEqual(events.map(\.fileVersion), ["brain.Event:2"])
        XCTAssertEqual(events.first?.sourceMetadata.writer, "h5train")
    }

    func testUnwritableFolderNamesThePath() {
        XCTAssertThrowsError(try TensorBoardWriter(directory: "/proc/no-such-folder/tb")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("/proc/no-such-folder/tb"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }
}

/// The decoded events of a file's bytes (through the module's CRC-checking record reader).
enum TFRecordReading {
    static func events(in bytes: [UInt8]) throws -> [Tensorboard_Event] {
        try TensorBoardEventFile.records(in: bytes, path: "test").map { try Tensorboard_Event(serializedBytes: $0) }
    }
}

/// The public reader on the golden file: every event TensorBoard's writer put there.
final class EventFileReaderTests: XCTestCase {
    func testGoldenFileReadsBack() throws {
        let records = try TensorBoardEventFile.read(EventFileGoldenTests.fixtures.appendingPathComponent("golden.tfevents").path)
        XCTAssertEqual(records.count, 8)
        XCTAssertEqual(records[0].content, .fileVersion("brain.Event:2"))
        XCTAssertEqual(records[0].wallTime, 1_700_000_000.25)
        XCTAssertEqual(records[1].content, .text(tag: "run/config", "h5train train --hidden 512,256\n\n**β₁** cycles"))
        XCTAssertEqual(records[2].content, .scalar(tag: "train/loss", value: 2.302585))
        XCTAssertEqual(records[3].content, .scalar(tag: "train/lr", value: 0.05))
        XCTAssertEqual(records[4].step, 2)
        XCTAssertEqual(records[4].wallTime, 1_700_000_002.75)
        XCTAssertEqual(records[7].content, .histogram(tag: "layer2/bias", TensorBoardHistogram([0.5, 0.5, 0.5, -2] as [Float])))
    }

    func testTruncatedFileIsRefusedNamingIt() throws {
        let golden = try Data(contentsOf: EventFileGoldenTests.fixtures.appendingPathComponent("golden.tfevents"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("truncated-\(UUID().uuidString).tfevents").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: golden.prefix(golden.count - 3))
        XCTAssertThrowsError(try TensorBoardEventFile.read(path)) { error in
            XCTAssertTrue("\(error)".contains(path) && "\(error)".contains("truncated"), "\(error)")
        }
    }
}
