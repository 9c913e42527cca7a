import NeuralNet
import Optimizers
import XCTest

/// StepLR, MultiStepLR, ExponentialLR, PolynomialLR and LinearLR against PyTorch.
final class ScheduleDecayTests: XCTestCase {
    func testStepDecayMatchesPyTorch() throws {
        let (schedule, _) = try assertMatchesFixture("step")
        XCTAssertTrue(schedule is StepDecaySchedule)
    }

    func testMultiStepMatchesPyTorchIncludingARepeatedMilestone() throws {
        let (schedule, fixture) = try assertMatchesFixture("multistep")
        XCTAssertEqual(try fixture.ints("milestones"), [5, 12, 12, 20])
        // 12 is listed twice, so step 12 decays by γ² (PyTorch counts milestones).
        let gamma = try fixture.double("gamma")
        assertScheduleValue(schedule.learningRate(atStep: 12), Double(schedule.learningRate(atStep: 11)) * gamma * gamma,
                            "double decay at the repeated milestone")
        // No end: the last milestone's value stays, and the order of milestones does not matter.
        let shuffled = MultiStepSchedule(rate: try fixture.double("base_lr"), milestones: [20, 12, 5, 12],
                                         gamma: gamma)
        XCTAssertEqual(shuffled, schedule as? MultiStepSchedule)
        XCTAssertEqual(schedule.learningRate(atStep: 1_000_000), schedule.learningRate(atStep: 20))
    }

    func testExponentialMatchesPyTorch() throws {
        let (schedule, _) = try assertMatchesFixture("exponential")
        XCTAssertNil(schedule.endStep)
        // Far out it keeps decaying (no end), without going negative.
        XCTAssertLessThan(schedule.learningRate(atStep: 1000), schedule.learningRate(atStep: 40))
        XCTAssertGreaterThanOrEqual(schedule.learningRate(atStep: 100_000), 0)
    }

    func testPolynomialMatchesPyTorchAndHoldsZero() throws {
        let (schedule, fixture) = try assertMatchesFixture("polynomial")
        let end = try XCTUnwrap(fixture.endStep)
        XCTAssertEqual(schedule.learningRate(atStep: end), 0)
        XCTAssertEqual(schedule.learningRate(atStep: end + 50), 0)
        // PyTorch holds too, so its recorded values past the end agree with the hold rule.
        for k in end...fixture.lastStep { XCTAssertEqual(fixture.rates[k], 0, "PyTorch at step \(k)") }
    }

    func testLinearMatchesPyTorchAndHoldsTheEndFactor() throws {
        let (schedule, fixture) = try assertMatchesFixture("linear")
        let end = try XCTUnwrap(fixture.endStep)
        let expected = try fixture.double("base_lr") * fixture.double("end_factor")
        assertScheduleValue(schedule.learningRate(atStep: end), expected, "end value")
        for k in end...fixture.lastStep {
            assertScheduleValue(schedule.learningRate(atStep: k), fixture.rates[k], "PyTorch holds too, step \(k)")
        }
    }
}
