import NeuralNet
import Optimizers
import XCTest

/// CyclicLR in its three modes, with momentum cycling, against PyTorch.
final class ScheduleCyclicTests: XCTestCase {
    func testTriangularWithMomentumMatchesPyTorch() throws {
        let (schedule, fixture) = try assertMatchesFixture("cyclic_triangular")
        XCTAssertNotNil(fixture.momenta)
        let cyclic = try XCTUnwrap(schedule as? CyclicSchedule)
        // 5 steps up, 3 down: the peak at 5, back to the base at 8, then again.
        XCTAssertEqual(cyclic.learningRate(atStep: 0), Float(cyclic.baseRate))
        XCTAssertEqual(cyclic.learningRate(atStep: 5), Float(cyclic.maxRate))
        XCTAssertEqual(cyclic.learningRate(atStep: 8), Float(cyclic.baseRate))
        XCTAssertEqual(cyclic.momentum(atStep: 0), Float(cyclic.maxMomentum))
        XCTAssertEqual(cyclic.momentum(atStep: 5), Float(cyclic.baseMomentum))
        // Periodic with period 8, also far out, where `k/total` in Float would have lost the phase.
        for k in 0..<8 {
            let far = 8 * 1_000_000 + k
            assertScheduleValue(cyclic.learningRate(atStep: far), Double(cyclic.learningRate(atStep: k)), "step \(far)")
        }
    }

    func testTriangular2MatchesPyTorch() throws {
        let (schedule, _) = try assertMatchesFixture("cyclic_triangular2")
        // The amplitude halves every cycle (8 steps): peaks at 4, 12, 20; the momentum's too.
        let base = 0.01, amplitude = 0.09
        for (cycle, peak) in [(1, 4), (2, 12), (3, 20)] {
            let halving = Double(1 << (cycle - 1))
            assertScheduleValue(schedule.learningRate(atStep: peak), base + amplitude / halving, "peak \(cycle)")
            assertScheduleValue(try XCTUnwrap(schedule.momentum(atStep: peak)), 0.9 - 0.1 / halving, "momentum at peak \(cycle)")
        }
    }

    func testExpRangeMatchesPyTorch() throws {
        let (schedule, fixture) = try assertMatchesFixture("cyclic_exp_range")
        XCTAssertNil(schedule.momentum(atStep: 3), "cycle_momentum off")
        // Scaled per step: the peak at step 6 is base + amplitude·γ^6.
        let gamma = try fixture.double("gamma")
        assertScheduleValue(schedule.learningRate(atStep: 6), 0.01 + 0.09 * pow(gamma, 6), "first peak")
    }

    func testMomentumCanBeLeftToTheOptimizer() {
        let cyclic = CyclicSchedule(baseRate: 0.01, maxRate: 0.1, stepSizeUp: 4, cycleMomentum: false)
        XCTAssertNil(cyclic.momentum(atStep: 2))
        XCTAssertEqual(cyclic.stepSizeDown, 4, "step size down defaults to step size up")
    }
}
