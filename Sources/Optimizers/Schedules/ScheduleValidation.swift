import NeuralNet
import Settings

extension ScheduleSettings {
    /// Checks names, ranges and required values; each error names the flag (PyTorch's checks, plus
    /// the ones that keep the schedules' preconditions from ever failing).
    public func validate() throws(TrainingError) {
        func fail(_ flag: String, _ message: String) -> TrainingError { .invalidOption(flag: flag, message: message) }
        func positive(_ value: Double, _ flag: String) throws(TrainingError) {
            guard value.isFinite && value > 0 else { throw fail(flag, "must be a positive number, got \(value)") }
        }
        func nonNegative(_ value: Double, _ flag: String) throws(TrainingError) {
            guard value.isFinite && value >= 0 else { throw fail(flag, "must be a number ≥ 0, got \(value)") }
        }
        func atLeast(_ minimum: Int, _ value: Int?, _ flag: String, _ unit: String) throws(TrainingError) {
            guard let value, value < minimum else { return }
            throw fail(flag, "must be at least \(minimum)\(unit.isEmpty ? "" : " " + unit), got \(value)")
        }
        func fraction(_ value: Double?, _ flag: String) throws(TrainingError) {
            guard let value, !(value >= 0 && value < 1) else { return }
            throw fail(flag, "must be in [0, 1), got \(value)")
        }

        guard Self.names.contains(name) else {
            throw fail("--schedule", "unknown schedule '\(name)'; expected one of \(Self.names.joined(separator: ", "))")
        }
        // step, multistep, exponential
        try atLeast(1, stepEpochs, "--lr-step", "epoch")
        if name == "step" && stepEpochs == nil { throw fail("--lr-step", "the step schedule needs --lr-step EPOCHS") }
        if let gamma { try positive(gamma, "--gamma") }
        if name == "exponential" && gamma == nil { throw fail("--gamma", "the exponential schedule needs --gamma (the factor per epoch, e.g. 0.9)") }
        if name == "multistep" && milestones.isEmpty { throw fail("--milestones", "the multistep schedule needs --milestones EPOCHS like 30,80") }
        if let bad = milestones.first(where: { $0 < 1 }) { throw fail("--milestones", "epochs must be at least 1, got \(bad)") }
        // polynomial, linear
        try positive(power, "--power")
        if !(startFactor > 0 && startFactor <= 1) { throw fail("--start-factor", "must be in (0, 1], got \(startFactor)") }
        if !(endFactor >= 0 && endFactor <= 1) { throw fail("--end-factor", "must be in [0, 1], got \(endFactor)") }
        try atLeast(1, totalEpochs, "--total-epochs", "epoch")
        // cosine, cosine-restarts
        try nonNegative(etaMin, "--eta-min")
        try atLeast(1, tMaxEpochs, "--t-max", "epoch")
        try atLeast(1, t0Epochs, "--t0", "epoch")
        if name == "cosine-restarts" && t0Epochs == nil { throw fail("--t0", "the cosine-restarts schedule needs --t0 EPOCHS, the first cycle's length") }
        try atLeast(1, tMult, "--t-mult", "")
        // cyclic, onecycle
        if let baseRate { try nonNegative(baseRate, "--base-lr") }
        if name == "cyclic" && baseRate == nil { throw fail("--base-lr", "the cyclic schedule needs --base-lr RATE, the lower rate (--lr is the upper one)") }
        try atLeast(1, stepSizeUp, "--step-size-up", "step")
        try atLeast(0, stepSizeDown, "--step-size-down", "steps")
        if CyclicSchedule.Mode(rawValue: cyclicMode) == nil {
            throw fail("--mode", "unknown cyclic mode '\(cyclicMode)'; expected one of \(CyclicSchedule.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try fraction(baseMomentum, "--base-momentum")
        try fraction(maxMomentum, "--max-momentum")
        if !(pctStart >= 0 && pctStart <= 1) { throw fail("--pct-start", "must be in [0, 1], got \(pctStart)") }
        if OneCycleSchedule.AnnealStrategy(rawValue: anneal) == nil {
            throw fail("--anneal", "unknown anneal strategy '\(anneal)'; expected cos or linear")
        }
        try positive(divFactor, "--div-factor")
        try positive(finalDivFactor, "--final-div-factor")
        // plateau
        if !(factor > 0 && factor < 1) { throw fail("--factor", "must be in (0, 1), got \(factor)") }
        try atLeast(0, patience, "--patience", "epochs")
        try nonNegative(threshold, "--threshold")
        try atLeast(0, cooldown, "--cooldown", "epochs")
        try nonNegative(minRate, "--min-lr")
        // warm-up, batch scaling
        try atLeast(0, warmupSteps, "--warmup-steps", "steps")
        try atLeast(0, warmupEpochs, "--warmup-epochs", "epochs")
        if warmupSteps != nil && warmupEpochs != nil { throw fail("--warmup-epochs", "give --warmup-steps or --warmup-epochs, not both") }
        if !(warmupStartFactor > 0 && warmupStartFactor <= 1) { throw fail("--warmup-start-factor", "must be in (0, 1], got \(warmupStartFactor)") }
        if hasWarmup && isPlateau {
            throw fail(warmupSteps != nil ? "--warmup-steps" : "--warmup-epochs",
                       "cannot be combined with --schedule plateau: its rate moves only when the loss stalls (PyTorch's SequentialLR refuses it too)")
        }
        try atLeast(1, batchScalingReference, "--scale-lr-by-batch", "sample")
    }

    /// ``validate()``, plus what depends on the optimizer: a schedule that cycles momentum needs an
    /// optimizer with a momentum term (SGD or RMSprop with `--momentum` > 0) or a β₁ (the Adam
    /// family), as PyTorch's `cycle_momentum` requires.
    public func validate(optimizer: OptimizerSettings) throws(TrainingError) {
        try validate()
        guard cyclesMomentum else { return }
        let hasMomentum = switch optimizer.name {
        case "sgd": optimizer.sgdMomentum > 0
        case "rmsprop": (optimizer.momentum ?? 0) > 0
        case "adagrad", "adadelta": false
        default: true
        }
        guard hasMomentum else {
            throw .invalidOption(flag: "--cycle-momentum", message: """
                \(name) cycles the momentum, but \(optimizer.name)\(optimizer.name == "sgd" || optimizer.name == "rmsprop" ? " with --momentum 0" : "") \
                has no momentum term to cycle; pass --no-cycle-momentum\(optimizer.name == "sgd" || optimizer.name == "rmsprop" ? " or a --momentum > 0" : "")
                """)
        }
    }

    /// Whether the schedule replaces the optimizer's momentum at every step (cyclic and onecycle
    /// with ``cycleMomentum``).
    public var cyclesMomentum: Bool { cycleMomentum && (name == "cyclic" || name == "onecycle") }
}
