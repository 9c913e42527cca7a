import Checkpoint
import DataParallel
import HDF5
import NeuralNet
import Optimizers
import Training
import XCTest

/// `h5train bench` on the bundled digits: one row per worker count, the stage shares of the workers'
/// time adding up to 100 %, and the weights of every worker count identical to the first's.
final class BenchCommandTests: XCTestCase {
    func testBenchReportsEveryStageAndIdenticalWeights() throws {
        let result = try CLI.run(["bench", "--data", CLI.dataset("digits.h5"), "--hidden", "32", "--batch-size", "64",
                                  "--workers", "1,2,3", "--steps", "30", "--warmup", "5"])
        XCTAssertSuccess(result)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first { $0.hasPrefix("model ") }?.hasPrefix("model 64-32-10, batch 64 in shards of 64 rows, 30 timed steps, 10112 FLOP per sample") ?? false, result.description)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("workers") }, result.description)
        XCTAssertEqual(lines[header].split(separator: " ").map(String.init),
                       ["workers", "samples/s", "GFLOP/s", "speed-up", "efficiency", "gather", "forward", "backward",
                        "gradients", "update", "other", "weights"])
        let rows = lines[(header + 1)...].prefix(3).map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(rows.map { $0.first }, ["1", "2", "3"], result.description)
        for row in rows {
            XCTAssertEqual(row.count, 12, "\(row)")
            XCTAssertGreaterThan(Double(row[1]) ?? 0, 0, "samples/s in \(row)")
            let shares = row[5...10].compactMap { Double($0.dropLast()) }  // "41.6%" → 41.6
            XCTAssertEqual(shares.count, 6, "\(row)")
            // Gathering 64 rows of 64 floats can round to 0.0 %; the other stages are products.
            XCTAssertGreaterThanOrEqual(shares[0], 0, "gather share in \(row)")
            for (name, share) in zip(["forward", "backward", "gradients", "update"], shares[1...]) {
                XCTAssertGreaterThan(share, 0, "\(name) share in \(row)")
            }
            XCTAssertEqual(shares.reduce(0, +), 100, accuracy: 0.35, "shares add up to 100 % (rounded): \(row)")
        }
        XCTAssertEqual(rows.map { $0.last }, ["reference", "identical", "identical"], result.description)
    }
}
