import ArgumentParser
import Checkpoint
import DataParallel
import Optimizers
import Settings
import Training

/// The learning-rate schedule, given per epoch (or per step where PyTorch counts steps) and always
/// evaluated per optimizer step. Defaults are PyTorch's.
struct ScheduleOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Learning-rate schedule: \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")). --lr is the base rate (the peak for cyclic and onecycle).",
        discussion: """
        k = optimizer step, E = steps per epoch, T = the run's steps (minus any \
        warm-up). Epoch flags are × E; rates are held at their final value past the end.
          constant         lr
          step             lr·γ^⌊k/(lr_step·E)⌋
          multistep        lr·γ^(number of milestones passed)
          exponential      lr·γ^(k/E), γ per epoch
          polynomial       lr·(1 − k/T)^power
          linear           lr·(s + (e − s)·min(k, N·E)/(N·E)), N = total epochs
          cosine           η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2
          cosine-restarts  the same within cycles of T_0·T_mult^i epochs
          cyclic           base_lr + (lr − base_lr)·triangle wave(k)
          onecycle         lr/div → lr → lr/(div·final_div), cos or linear
          plateau          lr × factor each time the loss stalls
        cyclic and onecycle also cycle momentum (or Adam's β₁) inversely to the rate.
        """,
        valueName: "name"))
    var schedule = "constant"

    // MARK: step, multistep, exponential

    @Option(parsing: .unconditional, help: ArgumentHelp("step: epochs between decays; given alone it selects the step schedule.", valueName: "epochs"))
    var lrStep: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("""
        γ, PyTorch's gamma: step and multistep, the factor of each decay (default 0.1); exponential, \
        the factor per epoch (required); cyclic exp_range, the factor per step (default 1).
        """, valueName: "γ"))
    var gamma: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Alias of --gamma, kept for the step schedule (default 0.1).", valueName: "γ"))
    var lrGamma: Double?

    @Option(help: ArgumentHelp("multistep: the epochs at which the rate is multiplied by γ, comma-separated.", valueName: "epochs,…"))
    var milestones: EpochList?

    // MARK: polynomial, linear

    @Option(parsing: .unconditional, help: "polynomial: exponent of (1 − k/T); T is the whole run.")
    var power = 1.0

    @Option(parsing: .unconditional, help: ArgumentHelp("linear: factor of --lr at step 0, in (0, 1] (default 1/3).", valueName: "s"))
    var startFactor: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("linear: factor of --lr reached after --total-epochs, in [0, 1].", valueName: "e"))
    var endFactor = 1.0

    @Option(parsing: .unconditional, help: ArgumentHelp("linear: epochs over which the factor goes from s to e (then held).", valueName: "epochs"))
    var totalEpochs = 5

    // MARK: cosine, cosine-restarts

    @Option(parsing: .unconditional, help: ArgumentHelp("cosine and cosine-restarts: the lowest rate, η_min.", valueName: "rate"))
    var etaMin = 0.0

    @Option(name: .customLong("t-max"), parsing: .unconditional, help: ArgumentHelp(
        "cosine: T_max, epochs to reach η_min (default: the whole run); η_min is held after it.", valueName: "epochs"))
    var tMax: Int?

    @Option(name: .customLong("t0"), parsing: .unconditional, help: ArgumentHelp(
        "cosine-restarts: T_0, length of the first cycle (required); the rate jumps back to --lr at each restart.", valueName: "epochs"))
    var t0: Int?

    @Option(name: .customLong("t-mult"), parsing: .unconditional, help: ArgumentHelp(
        "cosine-restarts: each cycle is T_mult times longer than the one before (an integer ≥ 1).", valueName: "n"))
    var tMult = 1

    // MARK: cyclic

    @Option(name: .customLong("base-lr"), parsing: .unconditional, help: ArgumentHelp(
        "cyclic: the lower rate (required); --lr is the upper one.", valueName: "rate"))
    var baseLR: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("cyclic: steps (not epochs) from --base-lr up to --lr.", valueName: "steps"))
    var stepSizeUp = 2000

    @Option(parsing: .unconditional, help: ArgumentHelp("cyclic: steps back down (default: --step-size-up).", valueName: "steps"))
    var stepSizeDown: Int?

    @Option(help: ArgumentHelp("""
        cyclic: triangular (constant amplitude), triangular2 (amplitude halved every cycle), exp_range \
        (amplitude × γ^k).
        """, valueName: "mode"))
    var mode = "triangular"

    // MARK: cyclic and onecycle momentum

    @Flag(inversion: .prefixedNo, help: """
        cyclic and onecycle: cycle momentum (sgd/rmsprop) or β₁ (adam family) inversely to the rate, \
        from --max-momentum at the lowest rate to --base-momentum at the peak.
        """)
    var cycleMomentum = true

    @Option(parsing: .unconditional, help: ArgumentHelp("Momentum at the peak rate (default 0.85 onecycle, 0.8 cyclic).", valueName: "μ"))
    var baseMomentum: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Momentum at the lowest rate (default 0.95 onecycle, 0.9 cyclic).", valueName: "μ"))
    var maxMomentum: Double?

    // MARK: onecycle

    @Option(parsing: .unconditional, help: ArgumentHelp("onecycle: fraction of the run spent raising the rate.", valueName: "fraction"))
    var pctStart = 0.3

    @Option(help: ArgumentHelp("onecycle: cos or linear annealing between the phases.", valueName: "strategy"))
    var anneal = "cos"

    @Option(parsing: .unconditional, help: ArgumentHelp("onecycle: the run starts at --lr / div-factor.", valueName: "d"))
    var divFactor = 25.0

    @Option(parsing: .unconditional, help: ArgumentHelp("onecycle: the run ends at --lr / (div-factor · final-div-factor).", valueName: "d"))
    var finalDivFactor = 1e4

    @Flag(help: "onecycle: three phases, up to --lr, back to the initial rate, then down to the final one.")
    var threePhase = false

    // MARK: plateau

    @Option(parsing: .unconditional, help: ArgumentHelp("plateau: the rate is multiplied by this (< 1) when the loss stalls.", valueName: "f"))
    var factor = 0.1

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "plateau: epochs without improvement tolerated; one more reduces the rate. The loss watched is the validation loss, or the training loss without validation.",
        valueName: "epochs"))
    var patience = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("plateau: an improvement counts when loss < best·(1 − threshold).", valueName: "t"))
    var threshold = 1e-4

    @Option(parsing: .unconditional, help: ArgumentHelp("plateau: epochs after a reduction before stalls count again.", valueName: "epochs"))
    var cooldown = 0

    @Option(name: .customLong("min-lr"), parsing: .unconditional, help: ArgumentHelp("plateau: the rate is never reduced below this.", valueName: "rate"))
    var minLR = 0.0

    // MARK: warm-up, batch scaling

    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Linear warm-up in front of any schedule but plateau: the rate climbs from \
        --warmup-start-factor × the schedule's first rate, then the schedule starts from its own step 0.
        """, valueName: "steps"))
    var warmupSteps: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("The same warm-up, in epochs.", valueName: "epochs"))
    var warmupEpochs: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Fraction of the first rate the warm-up starts from, in (0, 1] (default 1/3).", valueName: "s"))
    var warmupStartFactor: Double?

    @Option(name: .customLong("scale-lr-by-batch"), parsing: .unconditional, help: ArgumentHelp("""
        Linear scaling rule (Goyal et al.): --lr (and --base-lr) × batch size / this reference batch \
        size; the scaled rate is printed.
        """, valueName: "reference-batch"))
    var scaleLRByBatch: Int?

    func validate() throws {
        if let gamma, let lrGamma, gamma != lrGamma {
            throw ValidationError("--lr-gamma is an alias of --gamma; give one of them (got \(lrGamma) and \(gamma))")
        }
    }

    /// The settings these flags describe (ranges are checked by `ScheduleSettings.validate`).
    var settings: ScheduleSettings {
        get throws(TrainingError) { try makeSettings() }
    }

    /// The schedule's kind; an unknown name is refused, listing the known ones.
    private var kind: ScheduleKind {
        get throws(TrainingError) {
            guard let kind = ScheduleKind(rawValue: schedule.lowercased()) else {
                let names = ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidSetting(.schedule, "unknown schedule '\(schedule.lowercased())'; expected one of \(names)")
            }
            // --lr-step alone means step decay.
            return lrStep != nil && kind == .constant ? .step : kind
        }
    }

    private func makeSettings() throws(TrainingError) -> ScheduleSettings {
        var settings = ScheduleSettings()
        settings.kind = try kind
        settings.stepEpochs = lrStep
        settings.gamma = gamma ?? lrGamma
        settings.milestones = milestones?.values ?? []
        settings.power = power
        settings.startFactor = startFactor ?? settings.startFactor
        settings.endFactor = endFactor
        settings.totalEpochs = totalEpochs
        settings.etaMin = etaMin
        settings.tMaxEpochs = tMax
        settings.t0Epochs = t0
        settings.tMult = tMult
        settings.baseRate = baseLR
        settings.stepSizeUp = stepSizeUp
        settings.stepSizeDown = stepSizeDown
        settings.cyclicMode = mode.lowercased()
        settings.cycleMomentum = cycleMomentum
        settings.baseMomentum = baseMomentum
        settings.maxMomentum = maxMomentum
        settings.pctStart = pctStart
        settings.anneal = anneal.lowercased()
        settings.divFactor = divFactor
        settings.finalDivFactor = finalDivFactor
        settings.threePhase = threePhase
        settings.factor = factor
        settings.patience = patience
        settings.threshold = threshold
        settings.cooldown = cooldown
        settings.minRate = minLR
        settings.warmupSteps = warmupSteps
        settings.warmupEpochs = warmupEpochs
        settings.warmupStartFactor = warmupStartFactor ?? settings.warmupStartFactor
        settings.batchScalingReference = scaleLRByBatch
        return settings
    }
}

/// Comma-separated epoch numbers, e.g. `30,80`.
struct EpochList: ExpressibleByArgument {
    var values: [Int]

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.filter { $0 != " " }) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        values = parts.compactMap { $0 }
    }
}
