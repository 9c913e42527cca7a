@testable import Checkpoint
@testable import Data
@testable import DataParallel
@testable import Optimizers
@testable import Training
import XCTest

/// Every optimizer trains the bundled digits to a stated accuracy with its default learning rate,
/// and, with dropout, gives bit-identical weights for one and two workers.
final class OptimizerTrainingTests: XCTestCase {
    private func digits() throws -> LoadedData {
        var options = LoaderOptions(train: DataSource(file: datasetsFolder.appendingPathComponent("digits.h5").path, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: options.train.file, x: "x_test", y: "y_test")
        return try DatasetLoader.load(options)
    }

    private func train(_ optimizer: String, epochs: Int, workers: Int, dropout: Float, data: LoadedData) throws -> Trainer {
        var config = TrainingConfiguration()
        config.hidden = [64]
        config.epochs = epochs
        config.workers = workers
        config.dropout = dropout
        config.batchSize = 64
        config.optimizer.kind = OptimizerKind(rawValue: optimizer)!
        let trainer = try Trainer(configuration: config, data: data, observer: SilentObserver(), stateWriter: CheckpointWriter())
        _ = try trainer.run()
        return trainer
    }

    func testEveryOptimizerLearnsTheDigits() throws {
        let data = try digits()
        var report: [String] = []
        for name in OptimizerKind.allCases.map(\.rawValue) {
            let trainer = try train(name, epochs: 10, workers: 2, dropout: 0, data: data)
            let accuracy = try XCTUnwrap(trainer.progress.history.last?.validationAccuracy)
            report.append("\(name) \(String(format: "%.3f", accuracy))")
            // Stated bound: ≥ 90 % on the 360 test digits after 10 epochs at the default rate.
            XCTAssertGreaterThanOrEqual(accuracy, 0.90, "\(name) reached only \(accuracy)")
        }
        print("digits, 10 epochs, 64 hidden: " + report.joined(separator: ", "))
    }

    func testEveryOptimizerWithDropoutIsIdenticalForOneAndTwoWorkers() throws {
        let data = try digits()
        for name in OptimizerKind.allCases.map(\.rawValue) {
            let one = try train(name, epochs: 2, workers: 1, dropout: 0.2, data: data)
            let two = try train(name, epochs: 2, workers: 2, dropout: 0.2, data: data)
            XCTAssertEqual(one.engine.parameterValues.map(\.bitPattern), two.engine.parameterValues.map(\.bitPattern), name)
        }
    }
}
