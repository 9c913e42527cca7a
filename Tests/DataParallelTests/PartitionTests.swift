import DataParallel
import XCTest

final class PartitionTests: XCTestCase {
    func testShardPlanCoversTheBatchInOrder() {
        let plan = ShardPlan(shardSize: 32)
        XCTAssertEqual(plan.shardCount(rows: 128), 4)
        XCTAssertEqual(plan.shardCount(rows: 96 + 5), 4)
        XCTAssertEqual(plan.shardCount(rows: 1), 1)
        XCTAssertEqual(plan.rows(ofShard: 0, batchRows: 101), 0..<32)
        XCTAssertEqual(plan.rows(ofShard: 3, batchRows: 101), 96..<101)
    }

    func testWorkerSlicesTileTheParametersWithAlignedBoundaries() {
        for workers in 1...5 {
            let pool = WorkerPool(workers: workers)
            for count in [0, 1, 15, 16, 17, 1000, 535_818] {
                var next = 0
                for worker in 0..<workers {
                    let slice = pool.slice(of: count, worker: worker)
                    XCTAssertEqual(slice.lowerBound, next, "slices must be contiguous")
                    if slice.upperBound < count { XCTAssertEqual(slice.upperBound % 16, 0) }
                    next = slice.upperBound
                }
                XCTAssertEqual(next, count, "slices must cover 0..<\(count) with \(workers) workers")
            }
        }
    }

    func testRunCallsEveryWorkerExactlyOnce() {
        let pool = WorkerPool(workers: 3)
        var calls = [Int](repeating: 0, count: 3)
        calls.withUnsafeMutableBufferPointer { calls in
            pool.run { worker in calls[worker] += 1 }  // each worker writes only its own slot
        }
        XCTAssertEqual(calls, [1, 1, 1])
    }
}
