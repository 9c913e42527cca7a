@testable import Data
@testable import DataParallel
import Foundation
import HDF5
@testable import Settings
@testable import Training
import XCTest

/// The benchmark and the LR finder on streamed data: as in memory when the budget holds
/// everything; otherwise the two-level window order, the same bits for any worker count.
final class StreamedSweepTests: XCTestCase {
    private let folder = TemporaryFolder()
    /// 1437 rows in batches of 100: 15 steps an epoch, the last of 37 rows.
    private let rows = 1437, batchSize = 100

    /// The digits training data (float32, 64 features) in gzip chunks of 50 rows.
    private func digitsFile() throws -> String {
        let source = try File.open(datasetsFolder.appendingPathComponent("digits.h5").path)
        let x = try source.dataset("x_train").read(Float.self), y = try source.dataset("y_train").read(Int64.self)
        return try folder.hdf5("digits-50.h5") { root in
            try root.createDataset("x_train", shape: [y.count, 8, 8], values: x, chunkRows: 50, gzipLevel: 4)
            try root.createDataset("y_train", shape: [y.count], values: y)
        }
    }

    private func load(_ path: String, _ memory: MemoryRequest) throws -> LoadedData {
        var options = LoaderOptions(train: DataSource(file: path, x: "x_train", y: "y_train"))
        (options.memory, options.batchSize) = (memory, batchSize)
        return try DatasetLoader.load(options)
    }

    private func configuration(workers: Int) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.hidden = [24]
        (config.workers, config.batchSize, config.seed, config.learningRate) = (workers, batchSize, 7, 0.05)
        return config
    }

    private func bench(_ data: LoadedData, workers: Int) throws -> BenchmarkResult {
        try Benchmark.run(data: data, configuration: configuration(workers: workers), steps: 30, warmup: 5)
    }

    private func sweep(_ data: LoadedData, workers: Int) throws -> LRFinderResult {
        var finder = LRFinder()
        (finder.steps, finder.endRate) = (40, 1)
        return try finder.run(on: try Trainer(configuration: configuration(workers: workers), data: data, observer: SilentObserver()))
    }

    /// Rows of the timed steps 5..<35: 15 steps an epoch, every 15th of 37 rows.
    private var timedSamples: Int { (5..<35).reduce(0) { $0 + min(batchSize, rows - ($1 % 15) * batchSize) } }

    func testABudgetThatHoldsEverythingBenchesAsInMemory() throws {
        let path = try digitsFile()
        let streamed = try load(path, .streaming(budget: 64 << 20))
        XCTAssertEqual(WindowOrder(rows: rows, shape: try XCTUnwrap(streamed.stream?.shape), seed: 7).windowCount, 1)
        let a = try bench(streamed, workers: 2), b = try bench(try load(path, .inMemory), workers: 1)
        XCTAssertEqual(a.finalParameters.map(\.bitPattern), b.finalParameters.map(\.bitPattern))
        XCTAssertEqual(a.samples, timedSamples)
        XCTAssertEqual(b.samples, timedSamples)
        XCTAssertNotNil(a.readerReport)
        XCTAssertNil(b.readerReport)
    }

    func testAStreamedBenchFollowsTheWindowOrderWithTheSameBitsForAnyWorkerCount() throws {
        let path = try digitsFile()
        let streamed = try load(path, .streaming(budget: 200 << 10))
        let order = WindowOrder(rows: rows, shape: try XCTUnwrap(streamed.stream?.shape), seed: 7)
        XCTAssertEqual(order.windowCount, 4)
        let one = try bench(streamed, workers: 1), two = try bench(streamed, workers: 2)
        XCTAssertEqual(one.finalParameters.map(\.bitPattern), two.finalParameters.map(\.bitPattern))
        XCTAssertEqual(one.samples, timedSamples)
        let report = try XCTUnwrap(one.readerReport)
        // Epochs 1 and 2 whole (288 blocks each), epoch 3's windows 0 and 1 (74 blocks each), and
        // perhaps some of window 2, which the reader may fill ahead before it is stopped.
        let blocks = try XCTUnwrap(Int(report.split(separator: " ")[2]), report)
        XCTAssertTrue((2 * 288 + 2 * 74)...(2 * 288 + 3 * 74) ~= blocks, report)

        // Reference: the same 35 steps on the data in memory, their rows taken from the window order.
        let memory = try load(path, .inMemory)
        let trainer = try Trainer(configuration: configuration(workers: 1), data: memory, observer: SilentObserver())
        for step in 0..<35 {
            let epochOrder = order.epochOrder(epoch: 1 + step / 15), first = (step % 15) * batchSize
            epochOrder[first..<min(first + batchSize, rows)].withUnsafeBufferPointer {
                _ = trainer.engine.trainStep(on: memory.train, rows: $0, schedule: trainer.schedule)
            }
        }
        XCTAssertEqual(one.finalParameters.map(\.bitPattern), trainer.engine.parameterValues.map(\.bitPattern))
        let sampled = try bench(memory, workers: 1)
        XCTAssertNotEqual(one.finalParameters, sampled.finalParameters, "windows visit rows in another order than the sampler")
    }

    func testAStreamedLRSweepMatchesInMemoryOrAcrossWorkerCounts() throws {
        let path = try digitsFile()
        let whole = try sweep(try load(path, .streaming(budget: 64 << 20)), workers: 2)
        let memory = try sweep(try load(path, .inMemory), workers: 1)
        XCTAssertEqual(whole.points.count, 40)
        XCTAssertEqual(whole.points, memory.points, "a budget that holds everything sweeps as in memory")
        XCTAssertNotNil(whole.readerReport)
        XCTAssertNil(memory.readerReport)

        let streamed = try load(path, .streaming(budget: 200 << 10))
        let one = try sweep(streamed, workers: 1), two = try sweep(streamed, workers: 2)
        XCTAssertEqual(one.points.map(\.loss.bitPattern), two.points.map(\.loss.bitPattern))
        XCTAssertEqual(one.points.count, 40)
        XCTAssertEqual(one.points.map(\.learningRate), memory.points.map(\.learningRate), "the same rates, step by step")
        XCTAssertNotEqual(one.points.map(\.loss), memory.points.map(\.loss), "windows visit rows in another order")
        XCTAssertEqual(one.points.first?.loss ?? 0, memory.points.first?.loss ?? 1, accuracy: 0.3, "both start near ln 10")
        XCTAssertNotNil(one.readerReport)
    }
}
