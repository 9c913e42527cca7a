import Foundation
import HDF5
import NeuralNet
import Optimizers
import XCTest

// Golden values from PyTorch (Fixtures/schedules.h5, written by tools/make-schedule-fixtures.py; see
// its docstring for the layout): loading, schedule construction from the recorded constructor
// arguments, and the comparison every schedule test uses. The tests in this file check the fixture
// itself.

/// One recorded case: PyTorch's values and the constructor arguments (PyTorch's names) behind them.
struct ScheduleFixtureCase {
    let name: String
    /// PyTorch's learning rate at steps 0…N (plateau: after each observation).
    let rates: [Double]
    /// PyTorch's SGD momentum at steps 0…N, for the cases that cycle it.
    let momenta: [Double]?
    /// Plateau only: (best, num_bad_epochs, cooldown_counter) after each observation.
    let plateauStates: [[Double]]?
    let strings: [String: String]
    let integers: [String: [Int]]
    let reals: [String: [Double]]

    var torchClass: String { strings["torch_class"] ?? "?" }
    /// The last step of a schedule with an end; PyTorch's values after it are not H5Train's.
    var endStep: Int? { integers["end_step"]?.first }
    var boundaries: [Int] { integers["boundaries"] ?? [] }
    var lastStep: Int { rates.count - 1 }

    func string(_ key: String) throws -> String {
        guard let value = strings[key] else { throw ScheduleFixtureError.missing(key, name) }
        return value
    }

    func ints(_ key: String) throws -> [Int] {
        guard let values = integers[key] else { throw ScheduleFixtureError.missing(key, name) }
        return values
    }

    func int(_ key: String) throws -> Int {
        let values = try ints(key)
        guard values.count == 1 else { throw ScheduleFixtureError.notScalar(key, name) }
        return values[0]
    }

    func bool(_ key: String) throws -> Bool { try int(key) != 0 }

    /// A number, integer or real (HDF5 converts integers).
    func doubles(_ key: String) throws -> [Double] {
        if let values = reals[key] { return values }
        if let values = integers[key] { return values.map(Double.init) }
        throw ScheduleFixtureError.missing(key, name)
    }

    func double(_ key: String) throws -> Double {
        let values = try doubles(key)
        guard values.count == 1 else { throw ScheduleFixtureError.notScalar(key, name) }
        return values[0]
    }
}

enum ScheduleFixtureError: Error, CustomStringConvertible {
    case missing(String, String)
    case notScalar(String, String)
    case unknownClass(String, String)
    case badValue(String, String)

    var description: String {
        switch self {
        case let .missing(key, name): "fixture case '\(name)' has no attribute '\(key)'"
        case let .notScalar(key, name): "fixture case '\(name)': attribute '\(key)' is not a single value"
        case let .unknownClass(torchClass, name): "fixture case '\(name)': no H5Train schedule for \(torchClass)"
        case let .badValue(key, name): "fixture case '\(name)': attribute '\(key)' has an unexpected value"
        }
    }
}

/// Fixtures/schedules.h5, read fully into memory (HDF5 objects are not Sendable; the values are).
struct ScheduleFixture {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("schedules.h5").path

    /// Every case the tests consume, by the file that tests it. A case in the file that is not
    /// listed here (or the reverse) fails `ScheduleFixtureTests.testEveryCaseIsTested`.
    static let expectedCases: Set<String> = [
        // ScheduleDecayTests
        "step", "multistep", "exponential", "polynomial", "linear",
        // ScheduleCosineTests
        "cosine", "cosine_restarts", "cosine_restarts_mult2",
        // ScheduleCyclicTests
        "cyclic_triangular", "cyclic_triangular2", "cyclic_exp_range",
        // ScheduleOneCycleTests
        "onecycle_cos", "onecycle_linear", "onecycle_three_phase",
        // ScheduleWarmupTests
        "warmup_cosine",
        // SchedulePlateauTests
        "plateau", "plateau_max_abs",
    ]

    let rootStrings: [String: String]
    let cases: [String: ScheduleFixtureCase]

    static func load() throws -> ScheduleFixture {
        let file = try HDF5.File.open(path)
        let root = try file.root
        var rootStrings: [String: String] = [:]
        for key in try root.attributeNames() { rootStrings[key] = try root.stringAttribute(key) }
        let momentumGroup = try file.group("momentum")
        let stateGroup = try file.group("state")
        var cases: [String: ScheduleFixtureCase] = [:]
        let rateGroup = try file.group("lr")
        for name in try rateGroup.childNames() {
            let dataset = try rateGroup.dataset(name)
            var strings: [String: String] = [:], integers: [String: [Int]] = [:], reals: [String: [Double]] = [:]
            for key in try dataset.attributeNames() {
                if let text = try? dataset.stringAttribute(key) {
                    strings[key] = text
                } else if let values = try? dataset.intArrayAttribute(key) {
                    integers[key] = values
                } else {
                    reals[key] = try dataset.doubleArrayAttribute(key)
                }
            }
            var plateauStates: [[Double]]?
            if stateGroup.contains(name) {
                let states = try stateGroup.dataset(name)
                let flat = try states.read(Double.self)
                let width = states.elementsPerRow
                plateauStates = stride(from: 0, to: flat.count, by: width).map { Array(flat[$0..<$0 + width]) }
            }
            cases[name] = ScheduleFixtureCase(
                name: name, rates: try dataset.read(Double.self),
                momenta: momentumGroup.contains(name) ? try momentumGroup.dataset(name).read(Double.self) : nil,
                plateauStates: plateauStates, strings: strings, integers: integers, reals: reals)
        }
        return ScheduleFixture(rootStrings: rootStrings, cases: cases)
    }

    static func `case`(_ name: String) throws -> ScheduleFixtureCase {
        guard let found = try load().cases[name] else { throw ScheduleFixtureError.missing(name, "(file)") }
        return found
    }
}

/// The H5Train schedule for a fixture case, built from its recorded constructor arguments only.
/// (StepDecaySchedule takes Float parameters; all others Double.)
func scheduleFromFixture(_ fixture: ScheduleFixtureCase) throws -> any LearningRateSchedule {
    let f = fixture
    switch f.torchClass {
    case "StepLR":
        return StepDecaySchedule(rate: Float(try f.double("base_lr")), stepSize: try f.int("step_size"),
                                 gamma: Float(try f.double("gamma")))
    case "MultiStepLR":
        return MultiStepSchedule(rate: try f.double("base_lr"), milestones: try f.ints("milestones"),
                                 gamma: try f.double("gamma"))
    case "ExponentialLR":
        return ExponentialSchedule(rate: try f.double("base_lr"), gamma: try f.double("gamma"))
    case "PolynomialLR":
        return PolynomialSchedule(rate: try f.double("base_lr"), totalSteps: try f.int("total_iters"),
                                  power: try f.double("power"))
    case "LinearLR":
        return LinearSchedule(rate: try f.double("base_lr"), startFactor: try f.double("start_factor"),
                              endFactor: try f.double("end_factor"), totalSteps: try f.int("total_iters"))
    case "CosineAnnealingLR":
        return CosineAnnealingSchedule(rate: try f.double("base_lr"), tMax: try f.int("T_max"),
                                       etaMin: try f.double("eta_min"))
    case "CosineAnnealingWarmRestarts":
        return CosineWarmRestartsSchedule(rate: try f.double("base_lr"), t0: try f.int("T_0"),
                                          tMult: try f.int("T_mult"), etaMin: try f.double("eta_min"))
    case "CyclicLR":
        guard let mode = CyclicSchedule.Mode(rawValue: try f.string("mode")) else {
            throw ScheduleFixtureError.badValue("mode", f.name)
        }
        return CyclicSchedule(
            baseRate: try f.double("base_lr"), maxRate: try f.double("max_lr"),
            stepSizeUp: try f.int("step_size_up"), stepSizeDown: try f.int("step_size_down"),
            mode: mode, gamma: try f.double("gamma"), cycleMomentum: try f.bool("cycle_momentum"),
            baseMomentum: try f.double("base_momentum"), maxMomentum: try f.double("max_momentum"))
    case "OneCycleLR":
        guard let anneal = OneCycleSchedule.AnnealStrategy(rawValue: try f.string("anneal_strategy")) else {
            throw ScheduleFixtureError.badValue("anneal_strategy", f.name)
        }
        return OneCycleSchedule(
            maxRate: try f.double("max_lr"), totalSteps: try f.int("total_steps"), pctStart: try f.double("pct_start"),
            annealStrategy: anneal, divFactor: try f.double("div_factor"),
            finalDivFactor: try f.double("final_div_factor"), threePhase: try f.bool("three_phase"),
            cycleMomentum: try f.bool("cycle_momentum"), baseMomentum: try f.double("base_momentum"),
            maxMomentum: try f.double("max_momentum"))
    case "SequentialLR(LinearLR, CosineAnnealingLR)":
        let cosine = CosineAnnealingSchedule(rate: try f.double("base_lr"), tMax: try f.int("T_max"),
                                             etaMin: try f.double("eta_min"))
        return WarmupSchedule(warmupSteps: try f.int("warmup_steps"), startFactor: try f.double("start_factor"),
                              then: cosine)
    case "ReduceLROnPlateau":
        return PlateauState(try makePlateauParameters(f))
    default:
        throw ScheduleFixtureError.unknownClass(f.torchClass, f.name)
    }
}

/// Reduce-on-plateau settings from a fixture case.
func makePlateauParameters(_ f: ScheduleFixtureCase) throws -> PlateauParameters {
    guard let mode = PlateauParameters.Mode(rawValue: try f.string("mode")) else {
        throw ScheduleFixtureError.badValue("mode", f.name)
    }
    guard let thresholdMode = PlateauParameters.ThresholdMode(rawValue: try f.string("threshold_mode")) else {
        throw ScheduleFixtureError.badValue("threshold_mode", f.name)
    }
    return PlateauParameters(
        rate: try f.double("base_lr"), mode: mode, factor: try f.double("factor"), patience: try f.int("patience"),
        threshold: try f.double("threshold"), thresholdMode: thresholdMode, cooldown: try f.int("cooldown"),
        minRate: try f.double("min_lr"), eps: try f.double("eps"))
}

/// Relative tolerance against PyTorch's float64 values. The schedules return Float, so the bound
/// is Float rounding (6e-8) plus the rounding of parameters given as Float (StepDecaySchedule);
/// an exact 0 must be an exact 0.
let scheduleTolerance = 1e-6

func assertScheduleValue(
    _ actual: Float, _ expected: Double, _ label: @autoclosure () -> String,
    file: StaticString = #filePath, line: UInt = #line
) {
    let error = abs(Double(actual) - expected)
    XCTAssert(actual.isFinite && error <= scheduleTolerance * abs(expected),
              "\(label()): got \(actual), expected \(expected) (relative error \(error / abs(expected)))",
              file: file, line: line)
}

/// Steps past the end at which the hold rule is checked beyond those the fixture records.
func scheduleFarSteps(after end: Int) -> [Int] { [end + 1, end + 2, end + 1000, 10 * end + 7, 1 << 40] }

/// Checks `schedule` against a fixture case: every recorded step up to the end (all of them for a
/// schedule without an end) within `scheduleTolerance` of PyTorch, rate and (if recorded) momentum,
/// and after the end the value at the end, exactly (H5Train's hold rule; PyTorch differs there).
func assertMatchesFixture(
    _ schedule: any LearningRateSchedule, _ fixture: ScheduleFixtureCase,
    file: StaticString = #filePath, line: UInt = #line
) {
    let name = fixture.name
    XCTAssertEqual(schedule.endStep, fixture.endStep, "\(name): end step", file: file, line: line)
    XCTAssertEqual(fixture.boundaries.first, 0, "\(name): step 0 is a boundary", file: file, line: line)
    XCTAssert(fixture.boundaries.allSatisfy { fixture.rates.indices.contains($0) },
              "\(name): boundaries \(fixture.boundaries) outside the recorded steps", file: file, line: line)
    let lastCompared = fixture.endStep ?? fixture.lastStep
    for k in 0...lastCompared {
        assertScheduleValue(schedule.learningRate(atStep: k), fixture.rates[k], "\(name) lr at step \(k)",
                            file: file, line: line)
        if let momenta = fixture.momenta {
            guard let momentum = schedule.momentum(atStep: k) else {
                return XCTFail("\(name): no momentum at step \(k)", file: file, line: line)
            }
            assertScheduleValue(momentum, momenta[k], "\(name) momentum at step \(k)", file: file, line: line)
        } else {
            XCTAssertNil(schedule.momentum(atStep: k), "\(name): momentum at step \(k)", file: file, line: line)
        }
    }
    guard let end = fixture.endStep else { return }
    let held = schedule.learningRate(atStep: end), heldMomentum = schedule.momentum(atStep: end)
    for k in Array(end + 1...fixture.lastStep) + scheduleFarSteps(after: end) {
        XCTAssertEqual(schedule.learningRate(atStep: k).bitPattern, held.bitPattern,
                       "\(name): lr at step \(k) past the end \(end) is \(schedule.learningRate(atStep: k)), not the held \(held)",
                       file: file, line: line)
        XCTAssertEqual(schedule.momentum(atStep: k).map(\.bitPattern), heldMomentum.map(\.bitPattern),
                       "\(name): momentum at step \(k) past the end \(end)", file: file, line: line)
    }
}

/// Loads a case, builds its schedule and checks it against PyTorch; returns both for further checks.
@discardableResult
func assertMatchesFixture(
    _ name: String, file: StaticString = #filePath, line: UInt = #line
) throws -> (schedule: any LearningRateSchedule, fixture: ScheduleFixtureCase) {
    let fixture = try ScheduleFixture.case(name)
    let schedule = try scheduleFromFixture(fixture)
    assertMatchesFixture(schedule, fixture, file: file, line: line)
    return (schedule, fixture)
}


final class ScheduleFixtureTests: XCTestCase {
    func testFixtureNamesItsGeneratorAndTorchVersion() throws {
        let fixture = try ScheduleFixture.load()
        XCTAssertEqual(fixture.rootStrings["generator"], "tools/make-schedule-fixtures.py")
        let version = try XCTUnwrap(fixture.rootStrings["torch_version"])
        XCTAssertTrue(version.hasPrefix("2."), "torch_version \(version)")
    }

    func testFixtureIsSmall() throws {
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: ScheduleFixture.path)[.size] as? Int)
        XCTAssertLessThan(size, 200_000)
    }

    func testEveryCaseIsTested() throws {
        let fixture = try ScheduleFixture.load()
        XCTAssertEqual(Set(fixture.cases.keys), ScheduleFixture.expectedCases)
        for (name, fixtureCase) in fixture.cases {
            XCTAssertNoThrow(try scheduleFromFixture(fixtureCase), name)
            XCTAssertGreaterThan(fixtureCase.rates.count, 10, name)
        }
    }

    func testCasesWithAnEndRecordPyTorchPastIt() throws {
        for (name, fixtureCase) in try ScheduleFixture.load().cases {
            guard let end = fixtureCase.endStep else { continue }
            XCTAssertGreaterThan(fixtureCase.lastStep, end, "\(name) records only up to its end")
        }
    }
}
