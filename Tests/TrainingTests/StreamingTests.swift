@testable import Checkpoint
@testable import Data
@testable import DataParallel
import Foundation
import HDF5
@testable import NeuralNet
@testable import Optimizers
@testable import Settings
@testable import Training
import XCTest

/// Streamed training data: the same bits for any worker count, across a resume, and (when the
/// budget holds everything) as in memory; the two-level order; read failures.
final class StreamingTests: XCTestCase {
    private let folder = TemporaryFolder()

    /// The digits data (1437 training rows of 64 float32 features) rewritten in gzip chunks of
    /// `chunkRows` rows, optionally ordered by label.
    private func digitsFile(chunkRows: Int = 50, sortedByLabel: Bool = false, uint8: Bool = false) throws -> String {
        let source = try File.open(datasetsFolder.appendingPathComponent("digits.h5").path)
        var x = try source.dataset("x_train").read(Float.self)
        var y = try source.dataset("y_train").read(Int64.self)
        if sortedByLabel {
            let order = y.indices.sorted { (y[$0], $0) < (y[$1], $1) }
            x = order.flatMap { x[($0 * 64)..<(($0 + 1) * 64)] }
            y = order.map { y[$0] }
        }
        let (xTest, yTest) = (try source.dataset("x_test").read(Float.self), try source.dataset("y_test").read(Int64.self))
        let name = "digits-\(chunkRows)\(sortedByLabel ? "-sorted" : "")\(uint8 ? "-u8" : "").h5"
        return try folder.hdf5(name) { root in
            if uint8 {
                try root.createDataset("x_train", shape: [y.count, 8, 8], values: x.map { UInt8($0) }, chunkRows: chunkRows, gzipLevel: 4)
            } else {
                try root.createDataset("x_train", shape: [y.count, 8, 8], values: x, chunkRows: chunkRows, gzipLevel: 4)
            }
            try root.createDataset("y_train", shape: [y.count], values: y)
            try root.createDataset("x_test", shape: [yTest.count, 8, 8], values: xTest)
            try root.createDataset("y_test", shape: [yTest.count], values: yTest)
        }
    }

    private func load(_ path: String, _ memory: MemoryRequest, shape: WindowShape? = nil,
                      normalize: Normalization.Request = .auto, validation: Bool = true) throws -> LoadedData {
        var options = LoaderOptions(train: DataSource(file: path, x: "x_train", y: "y_train"))
        options.validation = validation ? DataSource(file: path, x: "x_test", y: "y_test") : nil
        (options.memory, options.windowShape, options.batchSize, options.normalize) = (memory, shape, 100, normalize)
        return try DatasetLoader.load(options)
    }

    private func configuration(epochs: Int, workers: Int, checkpoint: String? = nil) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.hidden = [24]
        (config.epochs, config.workers, config.batchSize, config.seed) = (epochs, workers, 100, 7)
        config.checkpointPath = checkpoint
        return config
    }

    private func train(_ data: LoadedData, epochs: Int = 2, workers: Int) throws -> Trainer {
        let trainer = try Trainer(configuration: configuration(epochs: epochs, workers: workers), data: data, observer: SilentObserver())
        _ = try trainer.run()
        return trainer
    }

    private func assertSameRun(_ a: Trainer, _ b: Trainer, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.engine.parameterValues.map(\.bitPattern), b.engine.parameterValues.map(\.bitPattern), "weights", file: file, line: line)
        XCTAssertEqual(a.engine.optimizerStateValues.map(\.bitPattern), b.engine.optimizerStateValues.map(\.bitPattern), "optimizer state", file: file, line: line)
        XCTAssertEqual(a.engine.step, b.engine.step, file: file, line: line)
        let metrics = { (t: Trainer) in t.progress.history.map { [$0.trainLoss, $0.validationLoss ?? -1, $0.validationAccuracy ?? -1] } }
        XCTAssertEqual(metrics(a), metrics(b), "per-epoch losses and accuracy", file: file, line: line)
    }

    // MARK: - Loading

    func testBudgetChoosesChunkAlignedBlocksAndWindowsThatStraddle() throws {
        let data = try load(try digitsFile(chunkRows: 5), .streaming(budget: 200 << 10))
        let stream = try XCTUnwrap(data.stream)
        // 64 blocks of at most 6 rows (256 bytes each) fill half of 200 KiB: whole 5-row chunks;
        // the targets and the sample order (8 bytes a row, 11,496 bytes) come off the budget, and
        // two windows of 74 blocks (260 bytes a row with its target) fit in the rest.
        XCTAssertEqual(stream.shape, WindowShape(blockRows: 5, blocksPerWindow: 74))
        XCTAssertEqual(stream.chunkRows, 5)
        XCTAssertEqual(data.trainingRows, 1437)
        XCTAssertEqual(data.train.rows, 5, "in memory: only the first block, the diagnostics probe")
        XCTAssertTrue(data.notes.contains { $0.description.hasPrefix("data: streaming x_train in blocks of 5 rows (chunks of 5), windows of 74 blocks, budget 200 KiB") },
                      "\(data.notes)")
    }

    func testChunksTooLargeForSixtyFourBlocksAWindowAreReadInParts() throws {
        let data = try load(try digitsFile(chunkRows: 50), .streaming(budget: 200 << 10))
        XCTAssertEqual(data.stream?.shape, WindowShape(blockRows: 5, blocksPerWindow: 74))
        XCTAssertTrue(data.notes.contains { $0.description.hasPrefix("data: streaming x_train in blocks of 5 rows (chunks of 50, each read in 10 parts), windows of 74 blocks") },
                      "\(data.notes)")
        let large = try load(try digitsFile(chunkRows: 50), .streaming(budget: 4 << 20))
        XCTAssertEqual(large.stream?.shape.blockRows, 100, "whole chunks, as many as 64 blocks a window allow")
        XCTAssertEqual(DatasetLoader.blockRows(rows: 1_200_000, rowBytes: 784, chunkRows: 1000, budget: 113 << 20), 1000)
        XCTAssertEqual(DatasetLoader.blockRows(rows: 60_000, rowBytes: 784, chunkRows: 1000, budget: 5_910_000), 50)
        XCTAssertEqual(DatasetLoader.blockRows(rows: 1_200_000, rowBytes: 784, chunkRows: nil, budget: 1 << 30), 5349, "4 MiB")
    }

    func testTooSmallABudgetStillTrainsWithAWarning() throws {
        let data = try load(try digitsFile(), .streaming(budget: 1000))
        let stream = try XCTUnwrap(data.stream)
        // Parts of chunks of at least 8 rows: 5 rows; a batch of 100 must straddle at most two
        // windows: 1 + ⌈100/5⌉ blocks.
        XCTAssertEqual(stream.shape, WindowShape(blockRows: 5, blocksPerWindow: 21))
        XCTAssertTrue(data.notes.contains { $0.description.contains("warning: the budget 500 bytes holds less than two windows of 21 blocks") } && data.notes.contains { $0.description.contains("take more than half the budget 1000 bytes") }, "\(data.notes)")
        let trainer = try train(data, epochs: 1, workers: 2)
        XCTAssertEqual(trainer.engine.step, 15)
    }

    func testStreamedStatisticsAndFingerprintEqualThoseInMemory() throws {
        let path = try digitsFile(chunkRows: 64)
        for request in [Normalization.Request.standardize, .scale, .auto, .none] {
            let memory = try load(path, .inMemory, normalize: request)
            let streamed = try load(path, .streaming(budget: 64 << 10), normalize: request)
            XCTAssertEqual(streamed.normalization, memory.normalization, "\(request)")
            XCTAssertEqual(streamed.stream?.fingerprint, DataFingerprint(memory.train), "\(request)")
        }
        let bytes = try digitsFile(chunkRows: 64, uint8: true)
        XCTAssertEqual(try load(bytes, .streaming(budget: 64 << 10)).stream?.fingerprint,
                       DataFingerprint(try load(bytes, .inMemory).train))
    }

    func testValidationSplitCannotBeStreamed() throws {
        var options = LoaderOptions(train: DataSource(file: try digitsFile(), x: "x_train", y: "y_train"))
        (options.memory, options.validationSplit) = (.streaming(budget: 1 << 20), 0.2)
        XCTAssertThrowsError(try DatasetLoader.load(options)) { error in
            guard case TrainingError.invalidSetting(.memoryBudget, _) = error else { return XCTFail("\(error)") }
        }
    }

    func testMemoryRequestParsing() {
        XCTAssertEqual(MemoryRequest(parsing: "auto"), .auto)
        XCTAssertEqual(MemoryRequest(parsing: "2G"), .streaming(budget: 2 << 30))
        XCTAssertEqual(MemoryRequest(parsing: "512M"), .streaming(budget: 512 << 20))
        XCTAssertEqual(MemoryRequest(parsing: "64K"), .streaming(budget: 64 << 10))
        XCTAssertEqual(MemoryRequest(parsing: "1.5GiB"), .streaming(budget: 3 << 29))
        XCTAssertEqual(MemoryRequest(parsing: "65536"), .streaming(budget: 65536))
        for bad in ["", "lots", "-1G", "0", "12Q", "nan", "1e30"] { XCTAssertNil(MemoryRequest(parsing: bad), bad) }
    }

    // MARK: - Bit-identical runs

    func testStreamedRunsAreBitIdenticalForAnyWorkerCount() throws {
        let path = try digitsFile()
        let runs = try [1, 2, 3].map { try train(try load(path, .streaming(budget: 200 << 10)), workers: $0) }
        XCTAssertEqual(WindowOrder(rows: 1437, shape: try XCTUnwrap(runs[0].data.stream?.shape), seed: 7).windowCount, 4)
        assertSameRun(runs[0], runs[1])
        assertSameRun(runs[0], runs[2])
        XCTAssertLessThan(runs[0].progress.history.last?.trainLoss ?? 9, runs[0].progress.history.first?.trainLoss ?? 0, "it learns")
    }

    func testABudgetThatHoldsEverythingTrainsAsInMemory() throws {
        let path = try digitsFile()
        let streamed = try load(path, .streaming(budget: 64 << 20))
        XCTAssertEqual(WindowOrder(rows: 1437, shape: try XCTUnwrap(streamed.stream?.shape), seed: 7).windowCount, 1)
        assertSameRun(try train(streamed, workers: 2), try train(try load(path, .inMemory), workers: 3))
    }

    func testStreamedRunStoppedMidEpochResumesWithAnotherWorkerCount() throws {
        let path = try digitsFile()
        let whole = try train(try load(path, .streaming(budget: 200 << 10)), epochs: 3, workers: 1)

        let checkpoint = folder.path("streamed.ckpt.h5")
        let stopper = StopAtStep(step: 22)  // epoch 2, step 7 of 15
        let interrupted = try Trainer(configuration: configuration(epochs: 3, workers: 2, checkpoint: checkpoint),
                                      data: try load(path, .streaming(budget: 200 << 10)), observer: stopper, stateWriter: CheckpointWriter())
        XCTAssertThrowsError(try interrupted.run(stop: stopper.stop))
        let state = try TrainingState.read(from: checkpoint)
        let window = try XCTUnwrap(state.progress?.window, "a streamed run's checkpoint stores its window shape")
        XCTAssertEqual(window, WindowShape(blockRows: 5, blocksPerWindow: 74))
        XCTAssertEqual(state.progress?.stepInEpoch, 7)

        // Another budget on resume: the checkpoint's shape wins.
        var config = try XCTUnwrap(state.configuration)
        config.workers = 3
        let resumed = try Trainer(configuration: config, data: try load(path, .streaming(budget: 10 << 20), shape: window),
                                  observer: SilentObserver(), stateWriter: CheckpointWriter())
        try resumed.restore(from: state)
        _ = try resumed.run()
        assertSameRun(whole, resumed)
    }

    func testACheckpointIsNotContinuedInAnotherOrder() throws {
        let path = try digitsFile()
        let checkpoint = folder.path("memory.ckpt.h5")
        let inMemory = try Trainer(configuration: configuration(epochs: 1, workers: 2, checkpoint: checkpoint),
                                   data: try load(path, .inMemory), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try inMemory.run()
        let state = try TrainingState.read(from: checkpoint)
        XCTAssertNil(state.progress?.window)
        let streamed = try Trainer(configuration: configuration(epochs: 2, workers: 2), data: try load(path, .streaming(budget: 200 << 10)),
                                   observer: SilentObserver())
        XCTAssertThrowsError(try streamed.restore(from: state, path: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("in memory") && "\(error)".contains("streamed in windows of 74 blocks of 5 rows"), "\(error)")
        }
    }

    // MARK: - The two-level order

    func testOneWindowIsTheSamplersPermutation() {
        var sampler = BatchSampler(rows: 1437, batchSize: 1437, seed: 7)
        for epoch in 1...3 {
            sampler.load(epoch: epoch)
            let expected = sampler.withRows(ofStep: 0) { Array($0) }
            XCTAssertEqual(WindowOrder(rows: 1437, shape: WindowShape(blockRows: 100, blocksPerWindow: 15), seed: 7).epochOrder(epoch: epoch), expected)
        }
    }

    func testTwoLevelOrderIsADeterministicPermutationThatChangesEachEpoch() {
        let order = WindowOrder(rows: 1437, shape: WindowShape(blockRows: 100, blocksPerWindow: 3), seed: 7)
        let first = order.epochOrder(epoch: 1)
        XCTAssertEqual(first.sorted(), (0..<1437).map(Int32.init), "every row exactly once")
        XCTAssertEqual(first, WindowOrder(rows: 1437, shape: order.shape, seed: 7).epochOrder(epoch: 1))
        XCTAssertNotEqual(first, order.epochOrder(epoch: 2))
        XCTAssertNotEqual(first, WindowOrder(rows: 1437, shape: order.shape, seed: 8).epochOrder(epoch: 1))
        XCTAssertEqual(order.windowStarts(epoch: 1).last, 1437)
        // Each window holds the rows of its blocks only.
        let starts = order.windowStarts(epoch: 1)
        for window in 0..<order.windowCount {
            let rows = Set(first[starts[window]..<starts[window + 1]].map { Int($0) / 100 })
            XCTAssertEqual(rows, Set(order.blocks(epoch: 1, window: window)))
        }
    }

    func testTwoLevelOrderMixesALabelSortedFile() {
        // 6,000 rows sorted by label (600 of each of 10 classes), blocks of 100 rows: each block is one class.
        let label = { (row: Int32) in Int(row) / 600 }
        func classesPerBatch(_ order: [Int32]) -> Double {
            let batches = stride(from: 0, to: order.count, by: 128).map { Set(order[$0..<min($0 + 128, order.count)].map(label)).count }
            return Double(batches.reduce(0, +)) / Double(batches.count)
        }
        let sequential = classesPerBatch((0..<6000).map(Int32.init))
        let windows = WindowOrder(rows: 6000, shape: WindowShape(blockRows: 100, blocksPerWindow: 8), seed: 1)
        let mixed = (1...3).map { classesPerBatch(windows.epochOrder(epoch: $0)) }
        XCTAssertLessThan(sequential, 1.3)
        // 8 blocks drawn from 60 hold ≈ 5.6 of the 10 classes; a batch of 128 sees almost all of them.
        for value in mixed { XCTAssertGreaterThan(value, 4.5, "\(mixed)") }
        let full = classesPerBatch(WindowOrder(rows: 6000, shape: WindowShape(blockRows: 100, blocksPerWindow: 60), seed: 1).epochOrder(epoch: 1))
        XCTAssertGreaterThan(full, 9.9)
    }

    // MARK: - Evaluation from a file

    func testBlockwiseEvaluationGivesTheBitsOfEvaluatingAllRowsAtOnce() throws {
        for (name, normalize) in [("digits.h5", Normalization.Request.standardize), ("digits-u8.h5", .auto)] {
            var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent(name).path, x: "x_train", y: "y_train"))
            options.normalize = normalize
            let data = try DatasetLoader.load(options)
            let trainer = try train(data, epochs: 1, workers: 2)
            var state = trainer.makeCheckpoint()
            state.parameters = trainer.engine.parameterValues
            let predictor = state.makePredictor(workers: 3)
            let source = DataSource(file: options.train.file, x: "x_train", y: "y_train")
            let whole = Evaluation(predictor: predictor, samples: try state.loadSamples(source))
            for blockRows in [256, 512, 4096] {
                XCTAssertEqual(try state.evaluate(source, predictor: predictor, blockRows: blockRows), whole, "\(name) blocks of \(blockRows)")
            }
            XCTAssertGreaterThan(whole.accuracy ?? 0, 0.5, name)
        }
    }

    // MARK: - Read failures

    func testAFileTruncatedAfterLoadingFailsTrainingNamingFileDatasetAndRows() throws {
        let path = try digitsFile()
        let data = try load(path, .streaming(budget: 200 << 10))
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertEqual(truncate(path, off_t(size / 2)), 0)
        let trainer = try Trainer(configuration: configuration(epochs: 1, workers: 2), data: data, observer: SilentObserver())
        XCTAssertThrowsError(try trainer.run()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path) && text.contains("x_train") && text.contains("rows"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    func testAChunkDamagedAfterLoadingFailsTrainingNamingFileDatasetAndRows() throws {
        let path = try digitsFile(chunkRows: 50)
        let data = try load(path, .streaming(budget: 200 << 10), validation: false)
        // Overwrite compressed chunk bytes in place (same file, same size): inflating them fails.
        // x_train's chunks, written first, take most of the file's first half.
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(size / 4))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
        try handle.close()
        let trainer = try Trainer(configuration: configuration(epochs: 1, workers: 2), data: data, observer: SilentObserver())
        XCTAssertThrowsError(try trainer.run()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path) && text.contains("x_train") && text.contains("rows"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    func testAFileDeletedAfterLoadingFailsTraining() throws {
        let path = try digitsFile()
        let data = try load(path, .streaming(budget: 200 << 10))
        try FileManager.default.removeItem(atPath: path)
        let trainer = try Trainer(configuration: configuration(epochs: 1, workers: 2), data: data, observer: SilentObserver())
        XCTAssertThrowsError(try trainer.run()) { error in
            XCTAssertEqual("\(error)".contains("deleted") || "\(error)".contains("no such file"), true, "\(error)")
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    /// Requests a stop when the run reaches a given step (as a signal handler would).
    private final class StopAtStep: TrainingObserver {
        let stop = StopRequest()
        let step: Int
        var seen = 0
        init(step: Int) { self.step = step }
        func note(_ text: SettingText) {}
        func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {
            seen += 1
            if seen == step { stop.request() }
        }
        func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {}
    }
}
