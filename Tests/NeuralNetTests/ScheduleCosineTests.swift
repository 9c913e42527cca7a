import NeuralNet
import Optimizers
import XCTest

/// CosineAnnealingLR (closed form, held past T_max) and CosineAnnealingWarmRestarts against PyTorch.
final class ScheduleCosineTests: XCTestCase {
    func testCosineAnnealingMatchesPyTorchUpToTMaxAndHoldsEtaMinAfter() throws {
        let (schedule, fixture) = try assertMatchesFixture("cosine")
        let end = try XCTUnwrap(fixture.endStep)
        XCTAssertEqual(end, try fixture.int("T_max"))
        assertScheduleValue(schedule.learningRate(atStep: 0), try fixture.double("base_lr"), "step 0")
        assertScheduleValue(schedule.learningRate(atStep: end), try fixture.double("eta_min"), "T_max")
        // PyTorch rises again past T_max (the cosine continues); H5Train holds η_min.
        XCTAssertGreaterThan(fixture.rates[end + 1], fixture.rates[end])
        XCTAssertLessThan(schedule.learningRate(atStep: end + 1), Float(fixture.rates[end + 1]))
    }

    func testWarmRestartsMatchPyTorch() throws {
        let (schedule, fixture) = try assertMatchesFixture("cosine_restarts")
        let t0 = try fixture.int("T_0")
        XCTAssertNil(schedule.endStep)
        // Every restart returns to the base rate exactly, and the cycles repeat exactly.
        let base = schedule.learningRate(atStep: 0)
        for cycle in [1, 2, 3, 1000] { XCTAssertEqual(schedule.learningRate(atStep: cycle * t0), base, "restart \(cycle)") }
        for k in 0..<t0 { XCTAssertEqual(schedule.learningRate(atStep: 500 * t0 + k), schedule.learningRate(atStep: k)) }
    }

    func testWarmRestartsWithGrowingCyclesMatchPyTorch() throws {
        let (schedule, fixture) = try assertMatchesFixture("cosine_restarts_mult2")
        let restarts = CosineWarmRestartsSchedule(rate: try fixture.double("base_lr"), t0: 5, tMult: 2)
        XCTAssertEqual(restarts, schedule as? CosineWarmRestartsSchedule)
        // Cycles of 5, 10, 20, 40, …: restarts at 5, 15, 35, 75, …, 5·(2^n − 1).
        for n in 1...40 {
            let start = 5 * ((1 << n) - 1)
            XCTAssertEqual(restarts.cyclePosition(atStep: start).tCur, 0, "restart \(n)")
            XCTAssertEqual(restarts.cyclePosition(atStep: start).tI, 5 << n, "cycle \(n) length")
            XCTAssertEqual(restarts.cyclePosition(atStep: start - 1).tCur, (5 << (n - 1)) - 1, "end of cycle \(n - 1)")
        }
        XCTAssertEqual(restarts.cyclePosition(atStep: Int.max).tI > 0, true)
    }
}
