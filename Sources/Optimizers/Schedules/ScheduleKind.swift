import Settings

/// The learning-rate schedules a run can use, with PyTorch's names. Each kind owns its defaults,
/// the settings it requires, and what it cycles; `ScheduleSettings` builds the per-step schedule
/// from it, and `explain`, `inspect` and the checkpoint name it by its raw value.
public enum ScheduleKind: String, Sendable, CaseIterable {
    case constant, step, multistep, exponential, polynomial, linear, cosine
    case cosineRestarts = "cosine-restarts"
    case cyclic, onecycle, plateau

    /// γ when none is given: 0.1 for step and multistep decay, else 1 (PyTorch's).
    public var defaultGamma: Double { self == .step || self == .multistep ? 0.1 : 1 }

    /// Whether the kind can cycle the optimizer's momentum inversely to the rate.
    public var canCycleMomentum: Bool { self == .cyclic || self == .onecycle }

    /// The momentum range when cycled and none is given: (base, max), PyTorch's.
    public var defaultMomentumRange: (base: Double, max: Double) {
        self == .cyclic ? (0.8, 0.9) : (0.85, 0.95)
    }

    /// The setting the kind cannot do without, and why (nil when all have defaults).
    public var requiredSetting: (setting: Setting, reason: SettingText)? {
        switch self {
        case .step: (.lrStep, "the step schedule needs \(.lrStep) EPOCHS")
        case .exponential: (.gamma, "the exponential schedule needs \(.gamma) (the factor per epoch, e.g. 0.9)")
        case .multistep: (.milestones, "the multistep schedule needs \(.milestones) EPOCHS like 30,80")
        case .cosineRestarts: (.t0, "the cosine-restarts schedule needs \(.t0) EPOCHS, the first cycle's length")
        case .cyclic: (.baseRate, "the cyclic schedule needs \(.baseRate) RATE, the lower rate (\(.learningRate) is the upper one)")
        default: nil
        }
    }
}
