import Foundation
import HDF5
import NeuralNet
import Optimizers
import XCTest

/// Resuming: a schedule re-created from its parameters as a checkpoint stores them (float64, int64
/// and string HDF5 attributes), and for reduce-on-plateau from its state after k observations, gives
/// bitwise the same values as the uninterrupted original from step k on, whatever order the steps
/// are asked for in.
final class ScheduleResumeTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("schedule-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes attributes with `store` into a fresh file, closes it, reopens it and reads them back with `load`.
    private func roundTrip<T>(_ name: String, store: (Group) throws -> Void, load: (Group) throws -> T) throws -> T {
        let path = directory.appendingPathComponent("\(name).h5").path
        do {
            let file = try HDF5.File.create(path)
            try store(try file.createGroup("schedule"))
        }
        return try load(try HDF5.File.open(path).group("schedule"))
    }

    private func storedAndReloaded(_ s: OneCycleSchedule, _ name: String) throws -> OneCycleSchedule {
        try roundTrip(name, store: { g in
            try g.setAttribute("max_lr", s.maxRate)
            try g.setAttribute("total_steps", s.totalSteps)
            try g.setAttribute("pct_start", s.pctStart)
            try g.setAttribute("anneal_strategy", s.annealStrategy.rawValue)
            try g.setAttribute("div_factor", s.divFactor)
            try g.setAttribute("final_div_factor", s.finalDivFactor)
            try g.setAttribute("three_phase", s.threePhase ? 1 : 0)
            try g.setAttribute("cycle_momentum", s.cycleMomentum ? 1 : 0)
            try g.setAttribute("base_momentum", s.baseMomentum)
            try g.setAttribute("max_momentum", s.maxMomentum)
        }, load: { g in
            OneCycleSchedule(
                maxRate: try g.doubleAttribute("max_lr"), totalSteps: try g.intAttribute("total_steps"),
                pctStart: try g.doubleAttribute("pct_start"),
                annealStrategy: try XCTUnwrap(OneCycleSchedule.AnnealStrategy(rawValue: try g.stringAttribute("anneal_strategy"))),
                divFactor: try g.doubleAttribute("div_factor"), finalDivFactor: try g.doubleAttribute("final_div_factor"),
                threePhase: try g.intAttribute("three_phase") != 0, cycleMomentum: try g.intAttribute("cycle_momentum") != 0,
                baseMomentum: try g.doubleAttribute("base_momentum"), maxMomentum: try g.doubleAttribute("max_momentum"))
        })
    }

    private func storedAndReloaded(_ s: CyclicSchedule, _ name: String) throws -> CyclicSchedule {
        try roundTrip(name, store: { g in
            try g.setAttribute("base_lr", s.baseRate)
            try g.setAttribute("max_lr", s.maxRate)
            try g.setAttribute("step_size_up", s.stepSizeUp)
            try g.setAttribute("step_size_down", s.stepSizeDown)
            try g.setAttribute("mode", s.mode.rawValue)
            try g.setAttribute("gamma", s.gamma)
            try g.setAttribute("cycle_momentum", s.cycleMomentum ? 1 : 0)
            try g.setAttribute("base_momentum", s.baseMomentum)
            try g.setAttribute("max_momentum", s.maxMomentum)
        }, load: { g in
            CyclicSchedule(
                baseRate: try g.doubleAttribute("base_lr"), maxRate: try g.doubleAttribute("max_lr"),
                stepSizeUp: try g.intAttribute("step_size_up"), stepSizeDown: try g.intAttribute("step_size_down"),
                mode: try XCTUnwrap(CyclicSchedule.Mode(rawValue: try g.stringAttribute("mode"))),
                gamma: try g.doubleAttribute("gamma"), cycleMomentum: try g.intAttribute("cycle_momentum") != 0,
                baseMomentum: try g.doubleAttribute("base_momentum"), maxMomentum: try g.doubleAttribute("max_momentum"))
        })
    }

    private func storedAndReloaded(_ s: PlateauState, _ name: String) throws -> PlateauState {
        try roundTrip(name, store: { g in
            let p = s.parameters, state = s.snapshot
            try g.setAttribute("base_lr", p.rate)
            try g.setAttribute("mode", p.mode.rawValue)
            try g.setAttribute("factor", p.factor)
            try g.setAttribute("patience", p.patience)
            try g.setAttribute("threshold", p.threshold)
            try g.setAttribute("threshold_mode", p.thresholdMode.rawValue)
            try g.setAttribute("cooldown", p.cooldown)
            try g.setAttribute("min_lr", p.minRate)
            try g.setAttribute("eps", p.eps)
            try g.setAttribute("best", state.best)
            try g.setAttribute("num_bad_epochs", state.badEpochs)
            try g.setAttribute("cooldown_counter", state.cooldownCounter)
            try g.setAttribute("lr", state.currentRate)
            try g.setAttribute("last_epoch", state.epochs)
        }, load: { g in
            let parameters = PlateauParameters(
                rate: try g.doubleAttribute("base_lr"),
                mode: try XCTUnwrap(PlateauParameters.Mode(rawValue: try g.stringAttribute("mode"))),
                factor: try g.doubleAttribute("factor"), patience: try g.intAttribute("patience"),
                threshold: try g.doubleAttribute("threshold"),
                thresholdMode: try XCTUnwrap(PlateauParameters.ThresholdMode(rawValue: try g.stringAttribute("threshold_mode"))),
                cooldown: try g.intAttribute("cooldown"), minRate: try g.doubleAttribute("min_lr"), eps: try g.doubleAttribute("eps"))
            let snapshot = PlateauState.Snapshot(
                best: try g.doubleAttribute("best"), badEpochs: try g.intAttribute("num_bad_epochs"),
                cooldownCounter: try g.intAttribute("cooldown_counter"), currentRate: try g.doubleAttribute("lr"),
                epochs: try g.intAttribute("last_epoch"))
            return PlateauState(parameters, restoring: snapshot)
        })
    }

    /// The original evaluated in order from step 0, the restored one from `k` in a shuffled order:
    /// bitwise equal rates and momenta at every step from k to past the end.
    private func assertResumes(_ original: some LearningRateSchedule, _ restored: some LearningRateSchedule,
                               from k: Int, through last: Int, shuffler: inout TestRNG,
                               file: StaticString = #filePath, line: UInt = #line) {
        let rates = (0...last).map { original.learningRate(atStep: $0).bitPattern }
        let momenta = (0...last).map { original.momentum(atStep: $0)?.bitPattern }
        for step in shuffler.shuffled(Array(k...last)) {
            XCTAssertEqual(restored.learningRate(atStep: step).bitPattern, rates[step],
                           "resumed at \(k): lr at step \(step)", file: file, line: line)
            XCTAssertEqual(restored.momentum(atStep: step)?.bitPattern, momenta[step],
                           "resumed at \(k): momentum at step \(step)", file: file, line: line)
        }
    }

    func testOneCycleResumesExactly() throws {
        var shuffler = TestRNG(seed: 1)
        for name in ["onecycle_cos", "onecycle_linear", "onecycle_three_phase"] {
            let fixture = try ScheduleFixture.case(name)
            let original = try XCTUnwrap(try scheduleFromFixture(fixture) as? OneCycleSchedule)
            let restored = try storedAndReloaded(original, name)
            XCTAssertEqual(restored, original)
            let last = original.totalSteps + 20
            for k in fixture.boundaries + [1, 17, original.totalSteps / 2] {
                assertResumes(original, restored, from: k, through: last, shuffler: &shuffler)
            }
        }
    }

    func testCyclicResumesExactly() throws {
        var shuffler = TestRNG(seed: 2)
        for name in ["cyclic_triangular", "cyclic_triangular2", "cyclic_exp_range"] {
            let fixture = try ScheduleFixture.case(name)
            let original = try XCTUnwrap(try scheduleFromFixture(fixture) as? CyclicSchedule)
            let restored = try storedAndReloaded(original, name)
            XCTAssertEqual(restored, original)
            for k in fixture.boundaries + [3, 29] {
                assertResumes(original, restored, from: k, through: 200, shuffler: &shuffler)
            }
        }
    }

    func testPlateauResumesExactlyFromItsStateAfterEveryEpoch() throws {
        var shuffler = TestRNG(seed: 3)
        for name in ["plateau", "plateau_max_abs"] {
            let fixture = try ScheduleFixture.case(name)
            let metrics = try fixture.doubles("metrics")
            let parameters = try makePlateauParameters(fixture)
            // The uninterrupted run's state after each number of observations 0…n.
            var original = PlateauState(parameters)
            var history = [original]
            for metric in metrics {
                original.observe(metric: metric)
                history.append(original)
            }
            for k in 0...metrics.count {
                var restored = try storedAndReloaded(history[k], "\(name)-\(k)")
                XCTAssertEqual(restored, history[k], "\(name) restored after \(k) observations")
                for j in k..<metrics.count {
                    restored.observe(metric: metrics[j])
                    XCTAssertEqual(restored.snapshot, history[j + 1].snapshot, "\(name) resumed at \(k), epoch \(j + 1)")
                    for step in shuffler.shuffled(Array(0..<8)).map({ $0 * 1000 + j }) {
                        XCTAssertEqual(restored.learningRate(atStep: step).bitPattern,
                                       history[j + 1].learningRate(atStep: step).bitPattern,
                                       "\(name) resumed at \(k): lr after epoch \(j + 1)")
                    }
                }
            }
        }
    }
}
