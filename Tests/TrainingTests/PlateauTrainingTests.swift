@testable import Checkpoint
@testable import Data
@testable import DataParallel
import Foundation
import HDF5
@testable import NeuralNet
@testable import Optimizers
import Settings
@testable import Training
import XCTest

/// Reduce-on-plateau end to end: the Trainer observes the loss after every epoch and the engine
/// uses the reduced rate from the next step on.
final class PlateauTrainingTests: XCTestCase {
    /// Keeps notes and epoch lines.
    private final class Recorder: TrainingObserver {
        var notes: [String] = []
        var epochs: [EpochMetrics] = []
        func note(_ text: SettingText) { notes.append(text.rendered(\.flag)) }
        func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {}
        func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) { epochs.append(metrics) }
    }

    private func xor(validation: Bool) throws -> LoadedData {
        let file = datasetsFolder.appendingPathComponent("xor.h5").path
        var options = LoaderOptions(train: DataSource(file: file, x: "x_train", y: "y_train"))
        if validation { options.validation = DataSource(file: file, x: "x_test", y: "y_test") }
        return try DatasetLoader.load(options)
    }

    private func configuration(epochs: Int, rate: Float, _ plateau: (inout ScheduleSettings) -> Void) -> TrainingConfiguration {
        var config = TrainingConfiguration()
        config.hidden = [8]
        config.epochs = epochs
        config.batchSize = 50  // 400 rows: 8 steps per epoch
        config.learningRate = rate
        config.workers = 2
        config.seed = 3
        config.schedule.kind = ScheduleKind(rawValue: "plateau")!
        plateau(&config.schedule)
        return config
    }

    /// A threshold no loss can meet makes every epoch a stall: with patience 0 the rate halves after
    /// every epoch, and each epoch trains at exactly the rate the previous one left.
    func testEveryStalledEpochHalvesTheRate() throws {
        let config = configuration(epochs: 5, rate: 0.1) { $0.factor = 0.5; $0.patience = 0; $0.threshold = 2 }
        let recorder = Recorder()
        let trainer = try Trainer(configuration: config, data: try xor(validation: true), observer: recorder, stateWriter: CheckpointWriter())
        let summary = try trainer.run()
        let rates = summary.epochs.map(\.learningRate)
        XCTAssertEqual(rates, [1, 0.5, 0.25, 0.125, 0.0625].map { Float(Double(Float(0.1)) * $0) })
        let state = try XCTUnwrap(trainer.schedule as? PlateauState)
        XCTAssertEqual(state.epochs, 5)
        XCTAssertEqual(Float(state.currentRate), rates[4] / 2)
        XCTAssertEqual(trainer.schedule.learningRate(atStep: trainer.engine.step), rates[4] / 2, "the next step uses the new rate")
        let reductions = recorder.notes.filter { $0.contains("plateau: the validation loss has not improved") }
        XCTAssertEqual(reductions.count, 5, recorder.notes.joined(separator: "\n"))
        XCTAssertTrue(reductions[0].hasSuffix("lr 0.1 → 0.05"), reductions[0])
        XCTAssertTrue(recorder.notes.contains { $0.hasPrefix("plateau: watches the validation loss") }, recorder.notes.joined(separator: "\n"))
    }

    /// A real stall: a network without a hidden layer cannot fit XOR, so its training loss soon
    /// sits at ln 2 and improves by less than 0.1 % an epoch; the rate is then halved (without
    /// validation data, the training loss is watched).
    func testRateDropsWhenTheTrainingLossStalls() throws {
        var config = configuration(epochs: 20, rate: 0.02) { $0.factor = 0.5; $0.patience = 2; $0.threshold = 1e-3 }
        config.hidden = []
        let recorder = Recorder()
        let trainer = try Trainer(configuration: config, data: try xor(validation: false), observer: recorder, stateWriter: CheckpointWriter())
        let summary = try trainer.run()
        let rates = summary.epochs.map(\.learningRate)
        XCTAssertEqual(rates.first, 0.02)
        XCTAssertLessThan(try XCTUnwrap(rates.last), 0.02, "the rate should have been reduced: \(rates)")
        XCTAssertGreaterThan(try XCTUnwrap(summary.epochs.last?.trainLoss), 0.69, "a linear model cannot fit XOR")
        for (before, after) in zip(rates, rates.dropFirst()) {
            XCTAssertTrue(after == before || after == Float(Double(before) * 0.5), "rates only halve: \(rates)")
        }
        // Replay the observations: the same losses give the same reductions.
        var replay = PlateauState(PlateauParameters(rate: 0.02, factor: 0.5, patience: 2, threshold: 1e-3))  // the rate as written
        for (index, metrics) in summary.epochs.enumerated() {
            XCTAssertEqual(Float(replay.currentRate), metrics.learningRate, "epoch \(index + 1)")
            replay.observe(metric: metrics.trainLoss)
        }
        XCTAssertEqual(trainer.schedule as? PlateauState, replay)
        XCTAssertTrue(recorder.notes.contains { $0.contains("plateau: the training loss has not improved") }, recorder.notes.joined(separator: "\n"))
    }

    /// Other schedules are left alone, and a cycling schedule's momentum reaches the epoch metrics.
    func testOneCycleMomentumIsReported() throws {
        let config = configuration(epochs: 2, rate: 0.1) { $0.kind = ScheduleKind(rawValue: "onecycle")! }
        let recorder = Recorder()
        let trainer = try Trainer(configuration: config, data: try xor(validation: false), observer: recorder, stateWriter: CheckpointWriter())
        XCTAssertTrue(trainer.schedulesMomentum)
        let summary = try trainer.run()
        let reference = OneCycleSchedule(maxRate: Double(Float(0.1)), totalSteps: 16)
        XCTAssertEqual(summary.epochs.map(\.momentum), [reference.momentum(atStep: 7), reference.momentum(atStep: 15)])
        XCTAssertEqual(summary.epochs.map(\.learningRate), [reference.learningRate(atStep: 7), reference.learningRate(atStep: 15)])
        XCTAssertTrue(summary.epochs[0].line(totalEpochs: 2).contains("momentum \(try XCTUnwrap(reference.momentum(atStep: 7)))"))
        XCTAssertTrue(summary.epochs[0].csvRow.hasSuffix(",\(try XCTUnwrap(reference.momentum(atStep: 7)))"))
        XCTAssertEqual(EpochMetrics.csvHeader(momentum: true), EpochMetrics.csvHeader + ",momentum")
        XCTAssertNil(trainer.observePlateau(after: summary.epochs[1]))
    }
}
