@testable import Data
import DataParallel
import XCTest

/// The fingerprint of training rows spread over ranks: each rank's sampled values, put in order
/// (here by hand, as the all-gather would), must hash to exactly what one process computes over the
/// whole matrix — for uneven parts and a sampling stride that does not divide them.
final class PartitionedFingerprintTests: XCTestCase {
    func testSampledValuesOfEveryRankHashToTheWholeSetsFingerprint() {
        // 3001 × 701 = 2,103,701 values: a stride of 2, so parts start on odd and even positions.
        let (rows, features) = (3001, 701)
        let values = (0..<(rows * features)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        var whole = SampleSet(matrix: FeatureMatrix(.uint8(values), featureCount: features),
                              targets: (0..<rows).map { Float($0 % 10) }, targetWidth: 1)
        whole.normalize(with: .scale(factor: 1 / 255))
        let expected = DataFingerprint(whole)
        let stride = DataFingerprint.stride(values: rows * features)
        XCTAssertEqual(stride, 2)
        for ranks in 1...4 {
            let total = DataFingerprint.sampled(rows: 0..<rows, featureCount: features, stride: stride).count
            var bits = [UInt32](repeating: 0, count: total)
            var next = 0
            for r in 0..<ranks {
                let held = BatchRowsExchange.heldRows(ofRank: r, ranks: ranks, totalRows: rows)
                let part = DataFingerprint.sampled(rows: held, featureCount: features, stride: stride)
                XCTAssertEqual(part.lowerBound, next, "\(ranks) ranks: parts follow one another")
                next = part.upperBound
                let local = whole.subset(held)
                bits.withUnsafeMutableBufferPointer {
                    DataFingerprint.takeSampledValues(local, held: held, stride: stride, into: $0.baseAddress! + part.lowerBound)
                }
            }
            XCTAssertEqual(next, total)
            let hashed = bits.withUnsafeBufferPointer {
                DataFingerprint.hash(sampled: $0, totalRows: rows, featureCount: features, targets: whole.targets, targetWidth: 1)
            }
            XCTAssertEqual(hashed, expected, "\(ranks) ranks")
        }
    }
}
