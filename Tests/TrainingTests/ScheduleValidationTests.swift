@testable import Checkpoint
import HDF5
@testable import Optimizers
import Settings
@testable import Training
import XCTest

/// `ScheduleSettings.validate`: each mistake is a usage error naming its flag; and the settings
/// survive a round trip through checkpoint attributes.
final class ScheduleValidationTests: XCTestCase {
    private func assertInvalid(_ flag: String, containing text: String = "", file: StaticString = #filePath, line: UInt = #line,
                               optimizer: OptimizerSettings? = nil, _ configure: (inout ScheduleSettings) -> Void) {
        var settings = ScheduleSettings()
        configure(&settings)
        do {
            if let optimizer { try settings.validate(optimizer: optimizer) } else { try settings.validate() }
            XCTFail("expected an error for \(flag)", file: file, line: line)
        } catch {
            guard case .invalidSetting(let setting, let rendered) = error else {
                return XCTFail("expected invalidSetting, got \(error)", file: file, line: line)
            }
            let message = rendered.rendered(\.flag)
            XCTAssertEqual(setting.flag, flag, message, file: file, line: line)
            XCTAssertTrue(text.isEmpty || message.contains(text), "'\(message)' should contain '\(text)'", file: file, line: line)
            XCTAssertTrue(error.isUsageError, file: file, line: line)
        }
    }

    func testDefaultsAreValid() throws {
        try ScheduleSettings().validate()
        try ScheduleSettings().validate(optimizer: OptimizerSettings())
    }

    func testEachMistakeNamesItsFlag() {
        assertInvalid("--lr-step", containing: "needs --lr-step") { $0.kind = ScheduleKind(rawValue: "step")! }
        assertInvalid("--lr-step") { $0.stepEpochs = 0 }
        assertInvalid("--gamma", containing: "positive") { $0.gamma = -0.5 }
        assertInvalid("--gamma", containing: "needs --gamma") { $0.kind = ScheduleKind(rawValue: "exponential")! }
        assertInvalid("--milestones", containing: "needs --milestones") { $0.kind = ScheduleKind(rawValue: "multistep")! }
        assertInvalid("--milestones", containing: "at least 1") { $0.kind = ScheduleKind(rawValue: "multistep")!; $0.milestones = [3, 0] }
        assertInvalid("--power") { $0.power = .nan }
        assertInvalid("--start-factor") { $0.startFactor = 0 }
        assertInvalid("--end-factor") { $0.endFactor = 1.5 }
        assertInvalid("--total-epochs") { $0.totalEpochs = 0 }
        assertInvalid("--eta-min") { $0.etaMin = -1 }
        assertInvalid("--t-max") { $0.tMaxEpochs = 0 }
        assertInvalid("--t0", containing: "needs --t0") { $0.kind = ScheduleKind(rawValue: "cosine-restarts")! }
        assertInvalid("--t-mult", containing: "at least 1,") { $0.tMult = 0 }
        assertInvalid("--base-lr", containing: "needs --base-lr") { $0.kind = ScheduleKind(rawValue: "cyclic")! }
        assertInvalid("--step-size-up") { $0.stepSizeUp = 0 }
        assertInvalid("--step-size-down") { $0.stepSizeDown = -1 }
        assertInvalid("--mode", containing: "exp_range") { $0.cyclicMode = "sawtooth" }
        assertInvalid("--base-momentum") { $0.baseMomentum = 1 }
        assertInvalid("--max-momentum") { $0.maxMomentum = -0.1 }
        assertInvalid("--pct-start") { $0.pctStart = 1.5 }
        assertInvalid("--anneal", containing: "cos or linear") { $0.anneal = "cosine" }
        assertInvalid("--div-factor") { $0.divFactor = 0 }
        assertInvalid("--final-div-factor") { $0.finalDivFactor = .infinity }
        assertInvalid("--factor", containing: "(0, 1)") { $0.factor = 1 }
        assertInvalid("--patience") { $0.patience = -1 }
        assertInvalid("--threshold") { $0.threshold = -1e-4 }
        assertInvalid("--cooldown") { $0.cooldown = -2 }
        assertInvalid("--min-lr") { $0.minRate = -1 }
        assertInvalid("--warmup-steps") { $0.warmupSteps = -5 }
        assertInvalid("--warmup-epochs", containing: "not both") { $0.warmupSteps = 5; $0.warmupEpochs = 1 }
        assertInvalid("--warmup-start-factor") { $0.warmupStartFactor = 0 }
        assertInvalid("--warmup-epochs", containing: "plateau") { $0.kind = ScheduleKind(rawValue: "plateau")!; $0.warmupEpochs = 2 }
        assertInvalid("--scale-lr-by-batch") { $0.batchScalingReference = 0 }
    }

    func testMomentumCyclingNeedsAMomentumTerm() throws {
        var adagrad = OptimizerSettings()
        adagrad.kind = .adagrad
        assertInvalid("--cycle-momentum", containing: "--no-cycle-momentum", optimizer: adagrad) { $0.kind = ScheduleKind(rawValue: "onecycle")! }
        var plainSGD = OptimizerSettings()
        plainSGD.momentum = 0
        assertInvalid("--cycle-momentum", containing: "--momentum 0", optimizer: plainSGD) { $0.kind = ScheduleKind(rawValue: "cyclic")!; $0.baseRate = 0.01 }
        var settings = ScheduleSettings()
        settings.kind = ScheduleKind(rawValue: "onecycle")!
        settings.cycleMomentum = false
        try settings.validate(optimizer: adagrad)
        settings.cycleMomentum = true
        try settings.validate(optimizer: OptimizerSettings())  // sgd, momentum 0.9
        var adam = OptimizerSettings()
        adam.kind = .adam
        try settings.validate(optimizer: adam)  // β₁ cycles
    }

    func testAttributesRoundTrip() throws {
        let folder = TemporaryFolder()
        var full = ScheduleSettings()
        full.kind = ScheduleKind(rawValue: "onecycle")!
        full.stepEpochs = 3
        full.gamma = 0.7
        full.milestones = [2, 5]
        full.power = 2
        full.startFactor = 0.5
        full.endFactor = 0.25
        full.totalEpochs = 4
        full.etaMin = 1e-5
        full.tMaxEpochs = 7
        full.t0Epochs = 2
        full.tMult = 3
        full.baseRate = 0.001
        full.stepSizeUp = 50
        full.stepSizeDown = 70
        full.cyclicMode = "exp_range"
        full.cycleMomentum = false
        full.baseMomentum = 0.8
        full.maxMomentum = 0.97
        full.pctStart = 0.2
        full.anneal = "linear"
        full.divFactor = 10
        full.finalDivFactor = 100
        full.threePhase = true
        full.factor = 0.5
        full.patience = 3
        full.threshold = 0.01
        full.cooldown = 1
        full.minRate = 1e-6
        full.warmupSteps = 30
        full.warmupStartFactor = 0.1
        full.batchScalingReference = 256
        for settings in [ScheduleSettings(), full] {
            let path = try folder.hdf5("attributes-\(settings.kind.rawValue).h5") { root in
                try settings.writeAttributes(to: try root.createGroup("training"))
            }
            let file = try HDF5.File.open(path)
            let restored = try ScheduleSettings(attributesOf: try file.group("training"))
            XCTAssertEqual(restored, settings)
        }
    }

    func testOlderCheckpointAttributesStillRead() throws {
        let folder = TemporaryFolder()
        let path = try folder.hdf5("old.h5") { root in
            let group = try root.createGroup("training")
            try group.setAttribute("schedule", "step")
            try group.setAttribute("lr_step_epochs", 4)
            try group.setAttribute("lr_gamma", 0.5)
        }
        let file = try HDF5.File.open(path)
        let restored = try ScheduleSettings(attributesOf: try file.group("training"))
        var expected = ScheduleSettings()
        expected.kind = ScheduleKind(rawValue: "step")!
        expected.stepEpochs = 4
        expected.gamma = 0.5
        XCTAssertEqual(restored, expected)
    }
}
