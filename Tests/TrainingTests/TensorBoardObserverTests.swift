import Checkpoint
import Data
import DataParallel
import Foundation
import HDF5
import NeuralNet
import Optimizers
import RunLogs
import Training
import XCTest

/// `train --tensorboard`: what the observer writes, read back from the event file, against the
/// run's own history, schedule and parameters.
final class TensorBoardObserverTests: XCTestCase {
    private func digits() throws -> LoadedData {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: options.train.file, x: "x_test", y: "y_test")
        return try DatasetLoader.load(options)
    }

    private func configuration() -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.hidden = [32]
        config.epochs = 2
        config.batchSize = 100
        config.workers = 2
        config.learningRate = 0.1
        config.schedule.kind = ScheduleKind(rawValue: "onecycle")!
        return config
    }

    /// Trains with a TensorBoard observer; returns the trainer and the file's records.
    private func trainWithEvents(in folder: TemporaryFolder) throws -> (Trainer, [TensorBoardRecord]) {
        let observers = ObserverList()
        let trainer = try Trainer(configuration: configuration(), data: try digits(), observer: observers, stateWriter: CheckpointWriter())
        let writer = try TensorBoardWriter(directory: folder.path("tb"))
        let observer = TensorBoardObserver(writer: writer, architecture: trainer.model.architecture, stepsPerEpoch: trainer.stepsPerEpoch,
                                           cyclesMomentum: trainer.schedulesMomentum, configuration: "the flags")
        observers.add(observer)
        _ = try trainer.run()
        observer.close()
        return (trainer, try TensorBoardEventFile.read(writer.path))
    }

    private func scalars(_ records: [TensorBoardRecord], _ tag: String) -> [(step: Int, value: Float)] {
        records.compactMap { record in
            if case .scalar(tag, let value) = record.content { return (record.step, value) }
            return nil
        }
    }

    func testEpochScalarsEqualTheHistory() throws {
        let folder = TemporaryFolder()
        let (trainer, records) = try trainWithEvents(in: folder)
        XCTAssertEqual(records.first?.content, .fileVersion("brain.Event:2"))
        XCTAssertEqual(records.dropFirst().first?.content, .text(tag: "run/config", "the flags"))
        let history = trainer.progress.history
        XCTAssertEqual(history.count, 2)
        func check(_ tag: String, _ value: (EpochMetrics) -> Double?) {
            let written = scalars(records, tag)
            XCTAssertEqual(written.map(\.step), history.map(\.step), tag)
            XCTAssertEqual(written.map(\.value), history.map { Float(value($0)!) }, tag)
        }
        check("epoch/train_loss") { $0.trainLoss }
        check("epoch/val_loss") { $0.validationLoss }
        check("epoch/val_accuracy") { $0.validationAccuracy }
        check("epoch/samples_per_s") { $0.samplesPerSecond }
        XCTAssertTrue(scalars(records, "epoch/val_mae").isEmpty, "classification has no MAE")
    }

    func testStepScalarsFollowTheSchedule() throws {
        let folder = TemporaryFolder()
        let (trainer, records) = try trainWithEvents(in: folder)
        let total = 2 * trainer.stepsPerEpoch
        let rates = scalars(records, "step/lr"), momenta = scalars(records, "step/momentum")
        XCTAssertEqual(rates.map(\.step), Array(1...total))
        // Step k used the schedule's values at step k − 1 (a pure function of the step).
        XCTAssertEqual(rates.map(\.value), (0..<total).map { trainer.schedule.learningRate(atStep: $0) })
        XCTAssertEqual(momenta.map(\.value), (0..<total).map { trainer.schedule.momentum(atStep: $0)! })
        let losses = scalars(records, "step/loss"), norms = scalars(records, "step/grad_norm")
        XCTAssertEqual(losses.count, total)
        XCTAssertEqual(norms.count, total)
        XCTAssertTrue(norms.allSatisfy { $0.value > 0 && $0.value.isFinite })
        // The epoch's training loss is the rows-weighted mean of its steps' losses (float32 here).
        let rows = trainer.data.train.rows, batch = trainer.configuration.batchSize
        let weights = (0..<trainer.stepsPerEpoch).map { Double(min(batch, rows - $0 * batch)) }
        let firstEpoch = zip(losses.prefix(trainer.stepsPerEpoch), weights).reduce(0.0) { $0 + Double($1.0.value) * $1.1 } / Double(rows)
        XCTAssertEqual(firstEpoch, trainer.progress.history[0].trainLoss, accuracy: 1e-6)
    }

    func testHistogramsDescribeTheFinalParameters() throws {
        let folder = TemporaryFolder()
        let (trainer, records) = try trainWithEvents(in: folder)
        let architecture = trainer.model.architecture
        let parameters = trainer.engine.parameterValues
        let lastStep = trainer.progress.history.last!.step
        var tags: [String] = []
        for record in records {
            guard case .histogram(let tag, let histogram) = record.content else { continue }
            tags.append(tag)
            if record.step == lastStep, tag == "layer2/bias_gradients" {
                // The last step's gradient; softmax with cross-entropy: ∂L/∂b = mean(p − y), whose
                // entries sum to 0 over the classes.
                let offset = architecture.biasOffset(1)
                let gradient = trainer.engine.withLastGradient { Array($0[offset..<(offset + 10)]) }
                XCTAssertEqual(histogram, TensorBoardHistogram(gradient))
                XCTAssertEqual(histogram.sum, 0, accuracy: 1e-6)
                XCTAssertGreaterThan(histogram.sumOfSquares, 0)
            }
            guard record.step == lastStep, tag == "layer1/weights" else { continue }
            let weights = parameters[architecture.weightOffsets[0]..<architecture.biasOffset(0)]
            XCTAssertEqual(histogram.count, Double(weights.count))
            XCTAssertEqual(histogram.min, Double(weights.min()!))
            XCTAssertEqual(histogram.max, Double(weights.max()!))
            XCTAssertEqual(histogram.sum, weights.reduce(0.0) { $0 + Double($1) })
            XCTAssertEqual(histogram, TensorBoardHistogram(weights))
        }
        let perEpoch = ["layer1/weights", "layer1/biases", "layer2/weights", "layer2/biases",
                        "layer1/weight_gradients", "layer1/bias_gradients", "layer2/weight_gradients", "layer2/bias_gradients"]
        XCTAssertEqual(tags, perEpoch + perEpoch)
    }

    /// Logging changes nothing in the run: the same weights as without an observer.
    func testLoggingDoesNotChangeTheRun() throws {
        let folder = TemporaryFolder()
        let (logged, _) = try trainWithEvents(in: folder)
        let plain = try Trainer(configuration: configuration(), data: try digits(), observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try plain.run()
        XCTAssertEqual(logged.engine.parameterValues, plain.engine.parameterValues)
    }
}
