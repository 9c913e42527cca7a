@testable import Checkpoint
@testable import DataParallel
import Foundation
@testable import NeuralNet
@testable import Optimizers
@testable import Training
import XCTest

/// `ScheduleSettings` → per-step schedule: every name, epoch → step conversion, warm-up, batch scaling.
final class ScheduleSettingsTests: XCTestCase {
    /// Steps per epoch of every test: epoch counts become multiples of 10 steps.
    private let perEpoch = 10

    private func schedule(_ name: String, rate: Float = 0.1, totalSteps: Int = 100, batchSize: Int = 128,
                          _ configure: (inout ScheduleSettings) -> Void = { _ in }) throws -> any LearningRateSchedule {
        var settings = ScheduleSettings()
        settings.kind = ScheduleKind(rawValue: name)!
        configure(&settings)
        try settings.validate()
        return settings.makeSchedule(rate: rate, stepsPerEpoch: perEpoch, totalSteps: totalSteps, batchSize: batchSize)
    }

    private func assertRate(_ schedule: any LearningRateSchedule, _ step: Int, _ expected: Double,
                            file: StaticString = #filePath, line: UInt = #line) {
        let value = Double(schedule.learningRate(atStep: step))
        XCTAssertEqual(value, expected, accuracy: max(abs(expected), 1e-12) * 2e-6, "lr at step \(step)", file: file, line: line)
    }

    func testEveryNameHasASchedule() throws {
        XCTAssertEqual(ScheduleKind.allCases.map(\.rawValue).count, 11)
        for name in ScheduleKind.allCases.map(\.rawValue) {
            let made = try schedule(name) {
                $0.stepEpochs = 2
                $0.milestones = [3]
                $0.gamma = name == "exponential" ? 0.5 : nil
                $0.t0Epochs = 2
                $0.baseRate = 0.01
            }
            XCTAssertTrue(made.learningRate(atStep: 0).isFinite, name)
            XCTAssertGreaterThan(made.learningRate(atStep: 0), 0, name)
        }
    }

    func testConstantAndStepDecayPerEpoch() throws {
        let constant = try schedule("constant")
        for k in [0, 9, 10, 999] { assertRate(constant, k, Double(Float(0.1))) }

        let step = try schedule("step") { $0.stepEpochs = 3 }  // γ defaults to 0.1: decays at steps 30, 60
        XCTAssertEqual(step.learningRate(atStep: 29), 0.1)
        XCTAssertEqual(step.learningRate(atStep: 30), Float(0.1) * Float(0.1))
        XCTAssertEqual(step.learningRate(atStep: 60), Float(0.1) * Float(0.1) * Float(0.1))
        let halved = try schedule("step") { $0.stepEpochs = 1; $0.gamma = 0.5 }
        XCTAssertEqual(halved.learningRate(atStep: 25), 0.025)
    }

    func testMultiStepMilestonesAreEpochs() throws {
        let made = try schedule("multistep", rate: 1) { $0.milestones = [3, 8]; $0.gamma = 0.5 }
        assertRate(made, 29, 1)
        assertRate(made, 30, 0.5)
        assertRate(made, 79, 0.5)
        assertRate(made, 80, 0.25)
        assertRate(made, 10_000, 0.25)
    }

    func testExponentialGammaIsPerEpochEvaluatedPerStep() throws {
        let made = try schedule("exponential", rate: 1) { $0.gamma = 0.5 }
        assertRate(made, 0, 1)
        assertRate(made, 10, 0.5)          // one epoch: γ
        assertRate(made, 30, 0.125)        // three epochs: γ³
        assertRate(made, 5, pow(0.5, 0.5)) // half an epoch: √γ (smooth within the epoch)
    }

    func testPolynomialAndCosineSpanTheRun() throws {
        let poly = try schedule("polynomial", rate: 1, totalSteps: 100) { $0.power = 2 }
        assertRate(poly, 50, 0.25)
        assertRate(poly, 100, 0)
        assertRate(poly, 150, 0)  // held

        let cosine = try schedule("cosine", rate: 1, totalSteps: 100) { $0.etaMin = 0.1 }
        assertRate(cosine, 0, 1)
        assertRate(cosine, 50, 0.55)
        assertRate(cosine, 100, 0.1)
        assertRate(cosine, 200, 0.1)  // held past the end

        let short = try schedule("cosine", rate: 1, totalSteps: 100) { $0.tMaxEpochs = 2 }  // T_max = 20 steps
        assertRate(short, 10, 0.5)
        assertRate(short, 20, 0)
    }

    func testLinearFactorsOverEpochs() throws {
        let made = try schedule("linear", rate: 0.3)  // PyTorch's defaults: 1/3 → 1 over 5 epochs
        assertRate(made, 0, 0.1)
        assertRate(made, 25, 0.2)
        assertRate(made, 50, 0.3)
        assertRate(made, 500, 0.3)
    }

    func testCosineRestartsCyclesInEpochs() throws {
        let made = try schedule("cosine-restarts", rate: 1) { $0.t0Epochs = 2; $0.tMult = 2 }  // cycles of 20, 40 steps
        assertRate(made, 10, 0.5)
        assertRate(made, 20, 1)   // restart
        assertRate(made, 40, 0.5) // middle of the 40-step cycle
        assertRate(made, 60, 1)
    }

    func testCyclicUsesStepsAndCyclesMomentum() throws {
        let made = try schedule("cyclic", rate: 0.1) { $0.baseRate = 0.02; $0.stepSizeUp = 4 }
        assertRate(made, 0, 0.02)
        assertRate(made, 4, Double(Float(0.1)))
        assertRate(made, 8, 0.02)
        XCTAssertEqual(Double(try XCTUnwrap(made.momentum(atStep: 0))), 0.9, accuracy: 1e-7)
        XCTAssertEqual(Double(try XCTUnwrap(made.momentum(atStep: 4))), 0.8, accuracy: 1e-7)

        let halving = try schedule("cyclic", rate: 1) { $0.baseRate = 0; $0.stepSizeUp = 2; $0.cyclicMode = "triangular2"; $0.cycleMomentum = false }
        assertRate(halving, 2, 1)
        assertRate(halving, 6, 0.5)
        XCTAssertNil(halving.momentum(atStep: 0))
    }

    func testOneCycleMatchesOneCycleSchedule() throws {
        let made = try schedule("onecycle", rate: 0.5, totalSteps: 100) { $0.pctStart = 0.25; $0.anneal = "linear" }
        let reference = OneCycleSchedule(maxRate: 0.5, totalSteps: 100, pctStart: 0.25, annealStrategy: .linear)
        for k in 0..<120 {
            XCTAssertEqual(made.learningRate(atStep: k), reference.learningRate(atStep: k), "step \(k)")
            XCTAssertEqual(made.momentum(atStep: k), reference.momentum(atStep: k), "step \(k)")
        }
        assertRate(made, 0, 0.02)   // lr / div_factor 25
        assertRate(made, 24, 0.5)   // the peak at pct_start·T − 1
        assertRate(made, 99, 0.02 / 1e4)
    }

    func testPlateauStartsAtTheRate() throws {
        let made = try schedule("plateau", rate: 0.25) { $0.patience = 2; $0.factor = 0.5 }
        let state = try XCTUnwrap(made as? PlateauState)
        XCTAssertTrue(made.isStateful)
        XCTAssertEqual(state.parameters.patience, 2)
        XCTAssertEqual(state.parameters.factor, 0.5)
        XCTAssertEqual(made.learningRate(atStep: 1000), 0.25)
    }

    func testWarmupInFrontOfAnySchedule() throws {
        // 2 warm-up epochs (20 steps) from 1/4, then cosine over the remaining 80 steps.
        let made = try schedule("cosine", rate: 1, totalSteps: 100) { $0.warmupEpochs = 2; $0.warmupStartFactor = 0.25 }
        XCTAssertTrue(made is WarmupSchedule)
        assertRate(made, 0, 0.25)
        assertRate(made, 10, 0.625)
        assertRate(made, 20, 1)      // the cosine's step 0
        assertRate(made, 60, 0.5)    // its middle: step 40 of 80
        assertRate(made, 100, 0)     // the run's end
        XCTAssertEqual(made.endStep, 100)

        let steps = try schedule("onecycle", rate: 1, totalSteps: 100) { $0.warmupSteps = 5 }
        let onecycle = OneCycleSchedule(maxRate: 1, totalSteps: 95)
        assertRate(steps, 0, Double(onecycle.learningRate(atStep: 0)) / 3)  // PyTorch's start factor 1/3
        XCTAssertEqual(steps.learningRate(atStep: 5), onecycle.learningRate(atStep: 0))
        XCTAssertEqual(steps.momentum(atStep: 2), onecycle.momentum(atStep: 0))
        XCTAssertEqual(steps.learningRate(atStep: 50), onecycle.learningRate(atStep: 45))
    }

    func testBatchScalingMultipliesTheRate() throws {
        let made = try schedule("constant", rate: 0.1, batchSize: 512) { $0.batchScalingReference = 128 }
        assertRate(made, 0, 0.4)
        let cyclic = try schedule("cyclic", rate: 0.1, batchSize: 256) { $0.batchScalingReference = 128; $0.baseRate = 0.01; $0.stepSizeUp = 2 }
        assertRate(cyclic, 0, 0.02)
        assertRate(cyclic, 2, 0.2)
        var settings = ScheduleSettings()
        settings.batchScalingReference = 128
        XCTAssertEqual(settings.scaledRate(0.1, batchSize: 64), 0.05)
        let notes = settings.notes(rate: 0.1, batchSize: 64, optimizer: OptimizerSettings())
        XCTAssertEqual(notes, ["lr: scaled for the batch (linear scaling rule): 0.1 × 64/128 = 0.05"])
    }

    func testHugeEpochCountsSaturateInsteadOfTrapping() throws {
        let made = try schedule("step") { $0.stepEpochs = Int.max / 2 }
        XCTAssertEqual(made.learningRate(atStep: Int.max - 1), 0.1)  // stepSize saturated at Int.max: no decay yet
    }
}
