import NeuralNet
import Settings

/// The range checks schedule settings share; each error names the setting.
private enum Check {
    static func fail(_ setting: Setting, _ message: SettingText) -> TrainingError { .invalidSetting(setting, message) }

    static func positive(_ value: Double, _ setting: Setting) throws(TrainingError) {
        guard value.isFinite && value > 0 else { throw fail(setting, "must be a positive number, got \(value)") }
    }

    static func nonNegative(_ value: Double, _ setting: Setting) throws(TrainingError) {
        guard value.isFinite && value >= 0 else { throw fail(setting, "must be a number ≥ 0, got \(value)") }
    }

    static func atLeast(_ minimum: Int, _ value: Int?, _ setting: Setting, _ unit: String) throws(TrainingError) {
        guard let value, value < minimum else { return }
        throw fail(setting, "must be at least \(minimum)\(unit.isEmpty ? "" : " " + unit), got \(value)")
    }

    static func fraction(_ value: Double?, _ setting: Setting) throws(TrainingError) {
        guard let value, !(value >= 0 && value < 1) else { return }
        throw fail(setting, "must be in [0, 1), got \(value)")
    }
}

extension ScheduleSettings {
    /// Checks ranges and required values; each error names the setting (PyTorch's checks, plus the
    /// ones that keep the schedules' preconditions from ever failing).
    public func validate() throws(TrainingError) {
        if let (setting, reason) = kind.requiredSetting, !isGiven(setting) { throw Check.fail(setting, reason) }
        try validateDecays()
        try validateCycles()
        try validatePlateau()
        try validateWarmup()
    }

    /// step, multistep, exponential, polynomial, linear, cosine, cosine-restarts.
    private func validateDecays() throws(TrainingError) {
        try Check.atLeast(1, stepEpochs, .lrStep, "epoch")
        if let gamma { try Check.positive(gamma, .gamma) }
        if let bad = milestones.first(where: { $0 < 1 }) { throw Check.fail(.milestones, "epochs must be at least 1, got \(bad)") }
        try Check.positive(power, .power)
        if !(startFactor > 0 && startFactor <= 1) { throw Check.fail(.startFactor, "must be in (0, 1], got \(startFactor)") }
        if !(endFactor >= 0 && endFactor <= 1) { throw Check.fail(.endFactor, "must be in [0, 1], got \(endFactor)") }
        try Check.atLeast(1, totalEpochs, .totalEpochs, "epoch")
        try Check.nonNegative(etaMin, .etaMin)
        try Check.atLeast(1, tMaxEpochs, .tMax, "epoch")
        try Check.atLeast(1, t0Epochs, .t0, "epoch")
        try Check.atLeast(1, tMult, .tMult, "")
    }

    /// cyclic and onecycle.
    private func validateCycles() throws(TrainingError) {
        if let baseRate { try Check.nonNegative(baseRate, .baseRate) }
        try Check.atLeast(1, stepSizeUp, .stepSizeUp, "step")
        try Check.atLeast(0, stepSizeDown, .stepSizeDown, "steps")
        if CyclicSchedule.Mode(rawValue: cyclicMode) == nil {
            throw Check.fail(.cyclicMode, "unknown cyclic mode '\(cyclicMode)'; expected one of \(CyclicSchedule.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try Check.fraction(baseMomentum, .baseMomentum)
        try Check.fraction(maxMomentum, .maxMomentum)
        if !(pctStart >= 0 && pctStart <= 1) { throw Check.fail(.pctStart, "must be in [0, 1], got \(pctStart)") }
        if OneCycleSchedule.AnnealStrategy(rawValue: anneal) == nil {
            throw Check.fail(.anneal, "unknown anneal strategy '\(anneal)'; expected cos or linear")
        }
        try Check.positive(divFactor, .divFactor)
        try Check.positive(finalDivFactor, .finalDivFactor)
    }

    /// Reduce-on-plateau.
    private func validatePlateau() throws(TrainingError) {
        if !(factor > 0 && factor < 1) { throw Check.fail(.factor, "must be in (0, 1), got \(factor)") }
        try Check.atLeast(0, patience, .patience, "epochs")
        try Check.nonNegative(threshold, .threshold)
        try Check.atLeast(0, cooldown, .cooldown, "epochs")
        try Check.nonNegative(minRate, .minRate)
    }

    /// Warm-up and batch scaling.
    private func validateWarmup() throws(TrainingError) {
        try Check.atLeast(0, warmupSteps, .warmupSteps, "steps")
        try Check.atLeast(0, warmupEpochs, .warmupEpochs, "epochs")
        if warmupSteps != nil && warmupEpochs != nil { throw Check.fail(.warmupEpochs, "give \(.warmupSteps) or \(.warmupEpochs), not both") }
        if !(warmupStartFactor > 0 && warmupStartFactor <= 1) {
            throw Check.fail(.warmupStartFactor, "must be in (0, 1], got \(warmupStartFactor)")
        }
        if hasWarmup && isPlateau {
            throw Check.fail(warmupSteps != nil ? .warmupSteps : .warmupEpochs,
                             "cannot be combined with \(.schedule) plateau: its rate moves only when the loss stalls (PyTorch's SequentialLR refuses it too)")
        }
        try Check.atLeast(1, batchScalingReference, .scaleRateByBatch, "sample")
    }

    /// ``validate()``, plus what depends on the optimizer: a schedule that cycles momentum needs an
    /// optimizer with a momentum term (SGD or RMSprop with `momentum` > 0) or a β₁ (the Adam
    /// family), as PyTorch's `cycle_momentum` requires.
    public func validate(optimizer: OptimizerSettings) throws(TrainingError) {
        try validate()
        guard cyclesMomentum else { return }
        guard optimizer.kind.hasMomentumTerm(optimizer) else {
            let hasMomentumFlag = optimizer.kind == .sgd || optimizer.kind == .rmsprop
            let zero: SettingText = hasMomentumFlag ? " with \(.momentum) 0" : ""
            let raise: SettingText = hasMomentumFlag ? " or a \(.momentum) > 0" : ""
            throw .invalidSetting(.cycleMomentum,
                                  "\(kind.rawValue) cycles the momentum, but \(optimizer.kind.rawValue)\(zero) has no momentum term to cycle; pass \(.noCycleMomentum)\(raise)")
        }
    }

    /// Whether the setting a kind requires was given.
    private func isGiven(_ setting: Setting) -> Bool {
        switch setting {
        case .lrStep: stepEpochs != nil
        case .gamma: gamma != nil
        case .milestones: !milestones.isEmpty
        case .t0: t0Epochs != nil
        case .baseRate: baseRate != nil
        default: true
        }
    }

    /// Whether the schedule replaces the optimizer's momentum at every step (cyclic and onecycle
    /// with ``cycleMomentum``).
    public var cyclesMomentum: Bool { cycleMomentum && kind.canCycleMomentum }
}
