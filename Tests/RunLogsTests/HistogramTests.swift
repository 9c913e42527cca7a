import Foundation
import XCTest
@testable import RunLogs

/// Histograms against the buckets tools/make-tensorboard-fixture.py computed with TensorFlow's
/// algorithm (Fixtures/golden-histograms.txt, exact hex floats).
final class HistogramTests: XCTestCase {
    struct Expected {
        var tag: String
        var min, max, count, sum, sumOfSquares: Double
        var limits: [Double] = [], counts: [Double] = []
    }

    private func expected() throws -> [String: Expected] {
        let text = try String(contentsOf: EventFileGoldenTests.fixtures.appendingPathComponent("golden-histograms.txt"), encoding: .utf8)
        var lines = text.split(separator: "\n").makeIterator()
        var result: [String: Expected] = [:]
        while let header = lines.next() {
            let f = header.split(separator: " ").map(String.init)
            let d = f[2...6].map { Double($0)! }
            var histogram = Expected(tag: f[0], min: d[0], max: d[1], count: d[2], sum: d[3], sumOfSquares: d[4])
            for _ in 0..<Int(f[7])! {
                let pair = lines.next()!.split(separator: " ").map { Double(String($0))! }
                histogram.limits.append(pair[0])
                histogram.counts.append(pair[1])
            }
            result[histogram.tag] = histogram
        }
        return result
    }

    private func check(_ values: [Float], against tag: String) throws {
        let expected = try XCTUnwrap(try expected()[tag])
        let histogram = TensorBoardHistogram(values)
        XCTAssertEqual(histogram.min, expected.min)
        XCTAssertEqual(histogram.max, expected.max)
        XCTAssertEqual(histogram.count, expected.count)
        XCTAssertEqual(histogram.sum, expected.sum)
        XCTAssertEqual(histogram.sumOfSquares, expected.sumOfSquares)
        XCTAssertEqual(histogram.bucketLimits, expected.limits)
        XCTAssertEqual(histogram.bucketCounts, expected.counts)
    }

    func testWideRangeMatchesTheScript() throws {
        try check(EventFileGoldenTests.goldenValues, against: "layer1/weight")
        // 204 finite values (the NaN is left out), spread over many buckets.
        let histogram = TensorBoardHistogram(EventFileGoldenTests.goldenValues)
        XCTAssertEqual(histogram.count, 204)
        XCTAssertEqual(histogram.bucketCounts.reduce(0, +), 204)
        XCTAssertGreaterThan(histogram.bucketCounts.filter { $0 > 0 }.count, 50)
    }

    func testEmptyAndRepeatedValuesMatchTheScript() throws {
        try check([], against: "layer1/empty")
        try check([0.5, 0.5, 0.5, -2], against: "layer2/bias")
    }

    /// TensorFlow's default limits: 1e-12·1.1^k for k = 0…773 (the last below 1e20), then DBL_MAX,
    /// mirrored below 0.
    func testDefaultLimits() {
        let limits = TensorBoardHistogram.defaultBucketLimits
        XCTAssertEqual(limits.count, 2 * 775 + 1)
        XCTAssertEqual(limits[775], 0)
        XCTAssertEqual(limits[776], 1e-12)
        XCTAssertEqual(limits[774], -1e-12)
        XCTAssertEqual(limits.last, .greatestFiniteMagnitude)
        XCTAssertEqual(limits.first, -.greatestFiniteMagnitude)
        XCTAssertEqual(limits[777] / limits[776], 1.1, accuracy: 1e-12)
        XCTAssertEqual(limits[1549] / (1e-12 * pow(1.1, 773)), 1, accuracy: 1e-12)
        XCTAssertLessThan(limits[1549], 1e20)
        XCTAssertGreaterThan(limits[1549] * 1.1, 1e20)
    }

    /// A value equal to a limit falls in the bucket to its right (upper_bound).
    func testValueOnALimitGoesRight() {
        let histogram = TensorBoardHistogram([Float(0)])
        // Buckets: one empty run up to 0, then [0, 1e-12) holding the value, then the empty rest.
        XCTAssertEqual(histogram.bucketLimits, [0, 1e-12, .greatestFiniteMagnitude])
        XCTAssertEqual(histogram.bucketCounts, [0, 1, 0])
    }
}
