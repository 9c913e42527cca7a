import HDF5
import NeuralNet
import Optimizers
import XCTest

/// What every schedule shares: defaults of the protocol, equality, descriptions, negative steps.
final class ScheduleProtocolTests: XCTestCase {
    private let schedules: [any LearningRateSchedule] = [
        ConstantSchedule(rate: 0.05),
        StepDecaySchedule(rate: 0.1, stepSize: 30, gamma: 0.5),
        MultiStepSchedule(rate: 0.1, milestones: [50, 80], gamma: 0.2),
        ExponentialSchedule(rate: 0.1, gamma: 0.99),
        PolynomialSchedule(rate: 0.1, totalSteps: 100, power: 0.9),
        LinearSchedule(rate: 0.1, startFactor: 0.5, endFactor: 0.1, totalSteps: 100),
        CosineAnnealingSchedule(rate: 0.1, tMax: 100, etaMin: 1e-4),
        CosineWarmRestartsSchedule(rate: 0.1, t0: 20, tMult: 2, etaMin: 1e-3),
        CyclicSchedule(baseRate: 0.01, maxRate: 0.1, stepSizeUp: 10, stepSizeDown: 6, mode: .expRange, gamma: 0.999),
        OneCycleSchedule(maxRate: 0.1, totalSteps: 120, pctStart: 0.25, annealStrategy: .linear, threePhase: true),
        WarmupSchedule(warmupSteps: 5, startFactor: 0.1, then: CosineAnnealingSchedule(rate: 0.1, tMax: 100)),
        PlateauState(PlateauParameters(rate: 0.1, patience: 3)),
    ]

    func testOnlyPlateauIsStatefulAndOnlyCyclingSchedulesHaveMomentum() {
        for schedule in schedules {
            XCTAssertEqual(schedule.isStateful, schedule is PlateauState, "\(schedule)")
            let cycles = schedule is CyclicSchedule || schedule is OneCycleSchedule
            XCTAssertEqual(schedule.momentum(atStep: 3) != nil, cycles, "\(schedule)")
        }
    }

    func testNegativeStepsAreStepZero() {
        for schedule in schedules {
            XCTAssertEqual(schedule.learningRate(atStep: -5), schedule.learningRate(atStep: 0), "\(schedule)")
            XCTAssertEqual(schedule.momentum(atStep: -1), schedule.momentum(atStep: 0), "\(schedule)")
        }
    }

    func testEqualityComparesTypeAndParameters() {
        for (i, a) in schedules.enumerated() {
            for (j, b) in schedules.enumerated() {
                XCTAssertEqual(a.isEqual(to: b), i == j, "\(a) vs \(b)")
            }
        }
        XCTAssertEqual(CyclicSchedule(baseRate: 0.01, maxRate: 0.1, stepSizeUp: 10),
                       CyclicSchedule(baseRate: 0.01, maxRate: 0.1, stepSizeUp: 10, stepSizeDown: 10))
        XCTAssertNotEqual(OneCycleSchedule(maxRate: 0.1, totalSteps: 100),
                          OneCycleSchedule(maxRate: 0.1, totalSteps: 100, threePhase: true))
    }

    func testDescriptionsNameTheirParametersAndFormula() {
        let expected: [(any LearningRateSchedule, [String])] = [
            (ConstantSchedule(rate: 0.05), ["constant lr=0.05"]),
            (StepDecaySchedule(rate: 0.1, stepSize: 30, gamma: 0.5), ["step lr=0.1 every 30 steps ×0.5"]),
            (MultiStepSchedule(rate: 0.1, milestones: [80, 50], gamma: 0.2), ["multistep", "[50, 80]", "0.2", "γ^"]),
            (ExponentialSchedule(rate: 0.1, gamma: 0.99), ["exponential", "0.99", "γ^k"]),
            (PolynomialSchedule(rate: 0.1, totalSteps: 100, power: 0.9), ["polynomial", "100", "0.9"]),
            (LinearSchedule(rate: 0.1, startFactor: 0.5, endFactor: 0.1, totalSteps: 100), ["linear", "0.5", "100"]),
            (CosineAnnealingSchedule(rate: 0.1, tMax: 100, etaMin: 1e-4), ["cosine", "T_max=100", "0.0001", "cos("]),
            (CosineWarmRestartsSchedule(rate: 0.1, t0: 20, tMult: 2), ["restarts", "T_0=20", "T_mult=2"]),
            (CyclicSchedule(baseRate: 0.01, maxRate: 0.1, stepSizeUp: 10, mode: .triangular2), ["cyclic triangular2", "0.01", "0.1", "10 steps up"]),
            (OneCycleSchedule(maxRate: 0.1, totalSteps: 120), ["onecycle", "120 steps", "cos", "0.004"]),
            (WarmupSchedule(warmupSteps: 5, startFactor: 0.1, then: ConstantSchedule(rate: 0.1)), ["warm-up 5 steps", "constant lr=0.1"]),
            (PlateauState(PlateauParameters(rate: 0.1, patience: 3)), ["plateau", "×0.1", "4 epochs"]),
        ]
        for (schedule, parts) in expected {
            for part in parts { XCTAssertTrue(schedule.description.contains(part), "'\(schedule)' lacks '\(part)'") }
        }
    }
}
