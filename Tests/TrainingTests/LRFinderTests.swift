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

/// The LR range test on the bundled digits: a sane suggestion, an untouched network.
final class LRFinderTests: XCTestCase {
    private func trainer(optimizer: String = "sgd") throws -> Trainer {
        let file = datasetsFolder.appendingPathComponent("digits.h5").path
        let data = try DatasetLoader.load(LoaderOptions(train: DataSource(file: file, x: "x_train", y: "y_train")))
        var config = TrainingConfiguration()
        config.hidden = [64]
        config.batchSize = 32
        config.workers = 2
        config.seed = 7
        config.optimizer.kind = OptimizerKind(rawValue: optimizer)!
        return try Trainer(configuration: config, data: data, observer: SilentObserver())
    }

    func testDigitsSweepSuggestsASaneRateAndLeavesTheTrainerAlone() throws {
        let trainer = try trainer()
        let before = trainer.engine.parameterValues
        let stateBefore = trainer.engine.optimizerStateValues
        var seen = 0
        // Up to lr 100, far too high for SGD 0.9, so the sweep must stop on divergence whatever the
        // initial weights (the default end, 10, is not always reached by a blow-up on this small set).
        var finder = LRFinder()
        finder.endRate = 100
        let result = try finder.run(on: trainer) { _ in seen += 1 }

        XCTAssertEqual(trainer.engine.parameterValues, before, "the trainer's weights are untouched")
        XCTAssertEqual(trainer.engine.optimizerStateValues, stateBefore)
        XCTAssertEqual(trainer.engine.step, 0)
        XCTAssertEqual(seen, result.points.count)

        // The sweep: lr(k) = 1e-7 · 1e9^(k/99), until the loss blew up.
        let first = try XCTUnwrap(result.points.first)
        XCTAssertEqual(first.learningRate, Double(Float(1e-7)))
        XCTAssertEqual(first.smoothedLoss, first.loss, accuracy: 1e-12, "bias correction: the first average is the first loss")
        for point in result.points {
            let expected = 1e-7 * pow(1e9, Double(point.step) / 99)
            XCTAssertEqual(point.learningRate, expected, accuracy: expected * 1e-6)
        }
        let stop = try XCTUnwrap(result.divergedAtStep, "SGD with momentum diverges well before lr 100")
        XCTAssertEqual(stop, result.points.count - 1)
        let last = try XCTUnwrap(result.points.last)
        let best = result.points.dropLast().map(\.smoothedLoss).min() ?? .infinity
        XCTAssertTrue(!last.smoothedLoss.isFinite || last.smoothedLoss > 4 * best, "stopped because \(last.smoothedLoss) > 4 × \(best)")
        XCTAssertTrue(result.points.dropLast().allSatisfy { $0.smoothedLoss <= 4 * best })

        // The suggestion: finite, in a sane range, and below where the loss was lowest.
        let suggestion = try XCTUnwrap(result.suggestion)
        XCTAssertEqual(suggestion.rule, .steepestDescent)
        XCTAssertTrue((1e-4...1).contains(suggestion.rate), "suggested \(suggestion.rate)")
        let minimum = try XCTUnwrap(result.minimumOverTen)
        XCTAssertLessThan(suggestion.rate, minimum.point.learningRate)
        XCTAssertEqual(minimum.rate, minimum.point.learningRate / 10)
        XCTAssertTrue((1e-4...1).contains(minimum.rate), "min/10 \(minimum.rate)")
        XCTAssertEqual(minimum.point.smoothedLoss, result.points[result.consideredRange].map(\.smoothedLoss).min())

        // A second run gives exactly the same curve (same start, same batches).
        XCTAssertEqual(try finder.run(on: trainer).points, result.points)
    }

    func testCSVHasOneRowPerStep() throws {
        var finder = LRFinder()
        finder.steps = 20
        finder.endRate = 1e-3
        let result = try finder.run(on: try trainer())
        XCTAssertNil(result.divergedAtStep, "lr ≤ 1e-3 cannot diverge")
        XCTAssertEqual(result.points.count, 20)
        let rows = result.csv.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.first, "step,lr,loss,smoothed_loss")
        XCTAssertEqual(rows.count, 21)
        XCTAssertEqual(rows.last?.split(separator: ",").count, 4)
        XCTAssertEqual(Double(try XCTUnwrap(rows.last?.split(separator: ",")[1])) ?? 0, 1e-3, accuracy: 1e-9)
    }

    func testSuggestionRulesOnAKnownCurve() {
        // Loss falls fastest at step 40 (a tanh step in log lr), is lowest at step 70, then rises.
        let points = (0..<100).map { k -> LRFinderPoint in
            let smoothed = 2 - tanh(Double(k - 40) / 6) + (k > 70 ? Double(k - 70) * 0.2 : 0)
            return LRFinderPoint(step: k, learningRate: 1e-6 * pow(10, Double(k) / 20), loss: smoothed, smoothedLoss: smoothed)
        }
        let result = LRFinderResult(points: points, divergedAtStep: nil, plannedSteps: 100)
        XCTAssertEqual(result.consideredRange, 10..<95)
        XCTAssertEqual(result.steepest?.point.step, 40)
        XCTAssertEqual(result.minimumOverTen?.point.step, 70)
        XCTAssertEqual(result.suggestion?.rule, .steepestDescent)
        // A curve that never falls: only the minimum rule applies.
        let rising = LRFinderResult(points: points.map { LRFinderPoint(step: $0.step, learningRate: $0.learningRate, loss: Double($0.step), smoothedLoss: Double($0.step)) },
                                    divergedAtStep: nil, plannedSteps: 100)
        XCTAssertNil(rising.steepest)
        XCTAssertEqual(rising.suggestion?.rule, .minimumOverTen)
        XCTAssertEqual(rising.suggestion?.point.step, 10)
    }

    func testSettingsAreValidated() {
        func assertInvalid(_ flag: String, _ configure: (inout LRFinder) -> Void, line: UInt = #line) {
            var finder = LRFinder()
            configure(&finder)
            XCTAssertThrowsError(try finder.validate(), line: line) { error in
                XCTAssertEqual((error as? TrainingError).flatMap { if case .invalidSetting(let setting, _) = $0 { setting.flag } else { nil } }, flag, line: line)
            }
        }
        assertInvalid("--start-lr") { $0.startRate = 0 }
        assertInvalid("--end-lr") { $0.endRate = 1e-8 }
        assertInvalid("--steps") { $0.steps = 1 }
        assertInvalid("--smoothing") { $0.smoothing = 0 }
        assertInvalid("--smoothing") { $0.smoothing = 1.5 }
    }
}
