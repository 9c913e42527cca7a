import NeuralNet
import Optimizers
import XCTest

/// WarmupSchedule composed with other schedules, against PyTorch's SequentialLR(LinearLR, …), and
/// the linear scaling helper.
final class ScheduleWarmupTests: XCTestCase {
    func testWarmupThenCosineMatchesPyTorchSequentialLR() throws {
        let (schedule, fixture) = try assertMatchesFixture("warmup_cosine")
        let warmup = try XCTUnwrap(schedule as? WarmupSchedule)
        XCTAssertEqual(warmup.endStep, try fixture.int("warmup_steps") + fixture.int("T_max"))
        assertScheduleValue(warmup.learningRate(atStep: 0), 0.1 * 0.1, "start factor · base")
        assertScheduleValue(warmup.learningRate(atStep: 5), 0.1, "the cosine's step 0 right after the warm-up")
    }

    /// The documented formula: target·(s + (1 − s)·k/W) before W, then the wrapped schedule from 0.
    private func assertComposition(_ inner: any LearningRateSchedule, warmupSteps: Int, startFactor: Double,
                                   file: StaticString = #filePath, line: UInt = #line) {
        let warmup = WarmupSchedule(warmupSteps: warmupSteps, startFactor: startFactor, then: inner)
        let target = Double(inner.learningRate(atStep: 0))
        for k in 0..<warmupSteps {
            let expected = target * (startFactor + (1 - startFactor) * Double(k) / Double(warmupSteps))
            assertScheduleValue(warmup.learningRate(atStep: k), expected, "\(inner) warm-up step \(k)", file: file, line: line)
            XCTAssertEqual(warmup.momentum(atStep: k), inner.momentum(atStep: 0), "momentum at \(k)", file: file, line: line)
        }
        for k in warmupSteps..<(warmupSteps + 300) {
            XCTAssertEqual(warmup.learningRate(atStep: k).bitPattern, inner.learningRate(atStep: k - warmupSteps).bitPattern,
                           "\(inner) at step \(k)", file: file, line: line)
            XCTAssertEqual(warmup.momentum(atStep: k), inner.momentum(atStep: k - warmupSteps), file: file, line: line)
        }
        XCTAssertEqual(warmup.endStep, inner.endStep.map { $0 + warmupSteps }, file: file, line: line)
        XCTAssertFalse(warmup.isStateful, file: file, line: line)
    }

    func testWarmupComposesWithEveryStatelessSchedule() {
        let schedules: [any LearningRateSchedule] = [
            ConstantSchedule(rate: 0.05),
            StepDecaySchedule(rate: 0.1, stepSize: 30, gamma: 0.5),
            MultiStepSchedule(rate: 0.1, milestones: [50, 80]),
            ExponentialSchedule(rate: 0.1, gamma: 0.99),
            PolynomialSchedule(rate: 0.1, totalSteps: 100, power: 0.9),
            LinearSchedule(rate: 0.1, startFactor: 1, endFactor: 0.1, totalSteps: 100),
            CosineAnnealingSchedule(rate: 0.1, tMax: 100, etaMin: 1e-4),
            CosineWarmRestartsSchedule(rate: 0.1, t0: 20, tMult: 2),
            CyclicSchedule(baseRate: 0.01, maxRate: 0.1, stepSizeUp: 10, mode: .triangular2),
            OneCycleSchedule(maxRate: 0.1, totalSteps: 120, threePhase: true),
        ]
        for inner in schedules {
            assertComposition(inner, warmupSteps: 7, startFactor: 0.1)
            assertComposition(inner, warmupSteps: 1, startFactor: 0)
        }
    }

    func testZeroWarmupIsTheScheduleItselfAndWarmupsNest() {
        let cosine = CosineAnnealingSchedule(rate: 0.1, tMax: 50)
        let none = WarmupSchedule(warmupSteps: 0, startFactor: 0.1, then: cosine)
        for k in 0...60 { XCTAssertEqual(none.learningRate(atStep: k), cosine.learningRate(atStep: k)) }
        let nested = WarmupSchedule(warmupSteps: 3, startFactor: 0.5, then: WarmupSchedule(warmupSteps: 4, startFactor: 0.2, then: cosine))
        XCTAssertEqual(nested.endStep, 57)
        XCTAssertEqual(nested.learningRate(atStep: 7), cosine.learningRate(atStep: 0))
        assertScheduleValue(nested.learningRate(atStep: 0), 0.5 * 0.2 * 0.1, "a warm-up of a warm-up aims at its start")
    }

    func testWarmupEquality() {
        let a = WarmupSchedule(warmupSteps: 5, startFactor: 0.1, then: CosineAnnealingSchedule(rate: 0.1, tMax: 10))
        XCTAssertEqual(a, WarmupSchedule(warmupSteps: 5, startFactor: 0.1, then: CosineAnnealingSchedule(rate: 0.1, tMax: 10)))
        XCTAssertNotEqual(a, WarmupSchedule(warmupSteps: 5, startFactor: 0.1, then: CosineAnnealingSchedule(rate: 0.1, tMax: 11)))
        XCTAssertNotEqual(a, WarmupSchedule(warmupSteps: 5, startFactor: 0.1, then: ConstantSchedule(rate: 0.1)))
        XCTAssertNotEqual(a, WarmupSchedule(warmupSteps: 6, startFactor: 0.1, then: CosineAnnealingSchedule(rate: 0.1, tMax: 10)))
    }

    func testLinearScalingRule() {
        XCTAssertEqual(scaledForBatch(rate: 0.1, batch: 1024, reference: 256), 0.4)
        XCTAssertEqual(scaledForBatch(rate: Float(0.1), batch: 128, reference: 256), Float(0.05))
        XCTAssertEqual(scaledForBatch(rate: 0.3, batch: 256, reference: 256), 0.3)
    }
}
