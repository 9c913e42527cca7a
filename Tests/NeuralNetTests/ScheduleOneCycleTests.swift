import NeuralNet
import Optimizers
import XCTest

/// OneCycleLR (two-phase cos and linear, three-phase) with cycled momentum, against PyTorch.
final class ScheduleOneCycleTests: XCTestCase {
    func testTwoPhaseCosineMatchesPyTorch() throws {
        let (schedule, fixture) = try assertMatchesFixture("onecycle_cos")
        let oneCycle = try XCTUnwrap(schedule as? OneCycleSchedule)
        assertScheduleValue(oneCycle.learningRate(atStep: 0), 0.1 / 25, "initial = max/div")
        assertScheduleValue(oneCycle.learningRate(atStep: 29), 0.1, "peak at pct·T − 1")
        assertScheduleValue(oneCycle.learningRate(atStep: 99), 0.1 / 25 / 1e4, "min = initial/final_div")
        XCTAssertEqual(fixture.momenta?.count, fixture.rates.count)
        assertScheduleValue(try XCTUnwrap(oneCycle.momentum(atStep: 29)), 0.85, "base momentum at the peak")
        assertScheduleValue(try XCTUnwrap(oneCycle.momentum(atStep: 99)), 0.95, "max momentum at the end")
    }

    func testTwoPhaseLinearMatchesPyTorchAcrossAFractionalPhaseEnd() throws {
        let (schedule, fixture) = try assertMatchesFixture("onecycle_linear")
        // Phase 1 ends at 0.25·62 − 1 = 14.5: neither step 14 nor 15 is the peak.
        XCTAssertLessThan(schedule.learningRate(atStep: 14), 0.1)
        XCTAssertLessThan(schedule.learningRate(atStep: 15), 0.1)
        // PyTorch allows one scheduler step past the end, extrapolating linearly below min_lr
        // (here below zero); H5Train holds min_lr.
        XCTAssertLessThan(fixture.rates[fixture.lastStep], 0)
        XCTAssertGreaterThan(schedule.learningRate(atStep: fixture.lastStep), 0)
    }

    func testThreePhaseMatchesPyTorch() throws {
        let (schedule, _) = try assertMatchesFixture("onecycle_three_phase")
        // Phases end at 21.5, 43 and 74: back to the initial rate at 43, then annihilated.
        assertScheduleValue(schedule.learningRate(atStep: 43), 0.1 / 25, "initial rate at the end of phase 2")
        assertScheduleValue(try XCTUnwrap(schedule.momentum(atStep: 60)), 0.95, "momentum held at max in phase 3")
    }

    func testWithoutMomentumCyclingAndDegeneratePhases() {
        let plain = OneCycleSchedule(maxRate: 0.1, totalSteps: 10, cycleMomentum: false)
        XCTAssertNil(plain.momentum(atStep: 3))
        // pct·T = 1: the first phase is the single step 0, at the peak (PyTorch divides by zero).
        let short = OneCycleSchedule(maxRate: 0.1, totalSteps: 10, pctStart: 0.1)
        XCTAssertEqual(short.learningRate(atStep: 0), 0.1)
        // One step in all: the minimum at once (PyTorch: the same).
        let single = OneCycleSchedule(maxRate: 0.1, totalSteps: 1)
        assertScheduleValue(single.learningRate(atStep: 0), 0.1 / 25 / 1e4, "single step")
        for schedule in [plain, short, single] {
            for k in 0...20 { XCTAssert(schedule.learningRate(atStep: k).isFinite, "\(schedule) at \(k)") }
        }
    }
}
