import NeuralNet

/// The learning-rate schedule a run asked for, as given on the command line (epoch counts, step
/// counts and factors), turned into a per-step `LearningRateSchedule` by
/// ``makeSchedule(rate:stepsPerEpoch:totalSteps:batchSize:)`` once the number of steps per epoch is
/// known.
///
/// Every schedule is evaluated per optimizer step. Lengths given in epochs (`lr_step`,
/// `milestones`, `t_max`, `t0`, `total_epochs`, `warmup_epochs`) are multiplied by the steps
/// per epoch, and the exponential γ (per epoch) becomes γ^(1/steps per epoch) per step, so the rate
/// at each epoch boundary is exactly PyTorch's when its scheduler is stepped once per epoch. Cyclic
/// step sizes are in steps, as in PyTorch. Defaults are PyTorch's.
public struct ScheduleSettings: Sendable, Equatable {
    public var kind = ScheduleKind.constant

    /// step: epochs between decays.
    public var stepEpochs: Int?
    /// γ: step and multistep, the factor of each decay (default 0.1); exponential, the factor per
    /// epoch (required, as in PyTorch); cyclic `exp_range`, the factor per step (default 1).
    /// `gamma`, or its alias `lr_gamma`.
    public var gamma: Double?
    /// multistep: the epochs at which the rate is multiplied by γ.
    public var milestones: [Int] = []

    /// polynomial: the exponent of (1 − k/T).
    public var power = 1.0

    /// linear: the factor of the rate at step 0.
    public var startFactor = 1.0 / 3
    /// linear: the factor reached after ``totalEpochs``.
    public var endFactor = 1.0
    /// linear: epochs over which the factor changes.
    public var totalEpochs = 5

    /// cosine and cosine-restarts: the lowest rate, η_min.
    public var etaMin = 0.0
    /// cosine: T_max in epochs; nil for the whole run.
    public var tMaxEpochs: Int?
    /// cosine-restarts: T_0, the first cycle's length in epochs (required, as in PyTorch).
    public var t0Epochs: Int?
    /// cosine-restarts: each cycle is T_mult times longer than the one before.
    public var tMult = 1

    /// cyclic: the lower rate (PyTorch's base_lr; required); `lr` is the upper one.
    public var baseRate: Double?
    /// cyclic: steps from the lower to the upper rate.
    public var stepSizeUp = 2000
    /// cyclic: steps back down; nil for ``stepSizeUp``.
    public var stepSizeDown: Int?
    /// cyclic: `triangular`, `triangular2` or `exp_range`.
    public var cyclicMode = "triangular"

    /// cyclic and onecycle: whether momentum (β₁ for the Adam family) cycles inversely to the rate.
    public var cycleMomentum = true
    /// cyclic and onecycle: the momentum at the peak rate; nil for 0.8 (cyclic) or 0.85 (onecycle).
    public var baseMomentum: Double?
    /// cyclic and onecycle: the momentum at the lowest rate; nil for 0.9 (cyclic) or 0.95 (onecycle).
    public var maxMomentum: Double?

    /// onecycle: the fraction of the run spent raising the rate.
    public var pctStart = 0.3
    /// onecycle: `cos` or `linear`.
    public var anneal = "cos"
    /// onecycle: the initial rate is `lr` / divFactor.
    public var divFactor = 25.0
    /// onecycle: the final rate is the initial rate / finalDivFactor.
    public var finalDivFactor = 1e4
    /// onecycle: back down to the initial rate before the final annihilation.
    public var threePhase = false

    /// plateau: the rate is multiplied by this on a reduction.
    public var factor = 0.1
    /// plateau: epochs without improvement tolerated before a reduction.
    public var patience = 10
    /// plateau: the relative improvement that counts (metric < best·(1 − threshold)).
    public var threshold = 1e-4
    /// plateau: epochs after a reduction during which bad epochs are not counted.
    public var cooldown = 0
    /// plateau: the rate is never reduced below this.
    public var minRate = 0.0

    /// Linear warm-up steps in front of the schedule; exclusive with ``warmupEpochs``.
    public var warmupSteps: Int?
    /// Linear warm-up epochs in front of the schedule; exclusive with ``warmupSteps``.
    public var warmupEpochs: Int?
    /// The fraction of the first rate the warm-up starts from (PyTorch `LinearLR`'s default 1/3).
    public var warmupStartFactor = 1.0 / 3

    /// The linear scaling rule: the rate (and cyclic's base rate) × batch size / this reference batch.
    public var batchScalingReference: Int?

    public init() {}

    /// Whether the schedule is reduce-on-plateau, the one that changes with observations.
    public var isPlateau: Bool { kind == .plateau }

    /// Whether a warm-up was asked for.
    public var hasWarmup: Bool { (warmupSteps ?? 0) > 0 || (warmupEpochs ?? 0) > 0 }

    /// The γ the schedule uses: ``gamma``, or its default (0.1 for step/multistep, 1 otherwise).
    public var resolvedGamma: Double {
        gamma ?? kind.defaultGamma
    }
}
