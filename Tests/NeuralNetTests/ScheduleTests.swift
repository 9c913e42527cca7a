import NeuralNet
import Optimizers
import XCTest

final class ScheduleTests: XCTestCase {
    func testConstantSchedule() {
        let schedule = ConstantSchedule(rate: 0.125)
        for step in [0, 1, 99, 1_000_000] {
            XCTAssertEqual(schedule.learningRate(atStep: step), 0.125, "step \(step)")
        }
    }

    /// rate·γ^⌊k/s⌋ computed in float64. The module multiplies Float32s ⌊k/s⌋ times, so it may drift
    /// by about ⌊k/s⌋ half-ulps: 1e-6 relative for the first boundaries, 2e-5 for 100 decays.
    private func assertStepDecay(rate: Float, stepSize: Int, gamma: Float, steps: [Int], tolerance: Double,
                                 file: StaticString = #filePath, line: UInt = #line) {
        let schedule = StepDecaySchedule(rate: rate, stepSize: stepSize, gamma: gamma)
        for k in steps {
            let expected = Double(rate) * pow(Double(gamma), Double(k / stepSize))
            assertRelativelyEqual(Double(schedule.learningRate(atStep: k)), expected, tolerance: tolerance,
                                  "step \(k) (stepSize \(stepSize), γ \(gamma))", file: file, line: line)
        }
    }

    func testStepDecayAtBoundaries() {
        let s = 30
        assertStepDecay(rate: 0.1, stepSize: s, gamma: 0.5, steps: [0, 1, s - 1, s, s + 1, 2 * s - 1, 2 * s, 3 * s], tolerance: 1e-6)
        assertStepDecay(rate: 0.01, stepSize: 1, gamma: 0.1, steps: [0, 1, 2, 3], tolerance: 1e-6)
        // Exact values: halving is exact in binary floating point.
        let schedule = StepDecaySchedule(rate: 0.1, stepSize: s, gamma: 0.5)
        XCTAssertEqual(schedule.learningRate(atStep: 0), 0.1)
        XCTAssertEqual(schedule.learningRate(atStep: s - 1), 0.1)
        XCTAssertEqual(schedule.learningRate(atStep: s), 0.05)
        XCTAssertEqual(schedule.learningRate(atStep: 2 * s - 1), 0.05)
        XCTAssertEqual(schedule.learningRate(atStep: 2 * s), 0.025)
    }

    func testStepDecayFarPastTheLastBoundary() {
        assertStepDecay(rate: 0.1, stepSize: 7, gamma: 0.9, steps: [700, 703, 7 * 100 + 6], tolerance: 2e-5)
    }
}
