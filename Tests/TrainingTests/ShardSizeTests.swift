@testable import DataParallel
@testable import Training
import XCTest

/// The command line's default shard size: a quarter of the batch, within 64…256 rows.
final class ShardSizeTests: XCTestCase {
    func testDefaultShardSizeIsAQuarterOfTheBatchWithin64To256Rows() {
        let expected: [(batch: Int, shard: Int)] = [
            (1, 64), (32, 64), (128, 64), (256, 64), (257, 64), (260, 65), (512, 128), (1000, 250), (1024, 256), (4096, 256),
        ]
        for (batch, shard) in expected {
            XCTAssertEqual(TrainingConfiguration.defaultShardSize(batchSize: batch), shard, "batch \(batch)")
        }
    }
}
