import XCTest
@testable import RunLogs

/// CRC-32C against the test vectors of RFC 3720 (iSCSI), appendix B.4, and the usual check value.
final class CRC32CTests: XCTestCase {
    func testRFC3720Vectors() {
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }), 0x113F_DB5C)
        // An iSCSI SCSI Read (10) command PDU.
        let pdu: [UInt8] = [
            0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        XCTAssertEqual(CRC32C.checksum(pdu), 0xD996_3A56)
    }

    func testCheckValueAndEmptyInput() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    /// TensorFlow's mask: rotate right 15, add 0xA282EAD8 (checked by hand for two values).
    func testMask() {
        XCTAssertEqual(CRC32C.masked(0), 0xA282_EAD8)
        // 0x8A9136AA rotated right by 15 = 0x6D55_1522; + 0xA282EAD8 = 0x0FD7_FFFA (mod 2³²).
        XCTAssertEqual(CRC32C.masked(0x8A91_36AA), 0x0FD7_FFFA)
    }
}
