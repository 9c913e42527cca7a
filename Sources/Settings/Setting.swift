/// A setting a user chooses for a run, named the way checkpoints store it (`batch_size`, `lr`, …).
///
/// The library names settings, never the command line's spelling of them: errors and notes refer to
/// a `Setting` (through `SettingText`), and the command line renders each as its flag.
public enum Setting: String, Sendable, CaseIterable {
    // Data
    case data, x, y, validationData = "val_data", validationX = "val_x", validationY = "val_y"
    case validationSplit = "val_split", task, normalize, memoryBudget = "memory_budget"
    // Model
    case hidden, activation, dropout, initializer = "init", loss, labelSmoothing = "label_smoothing"
    case classWeights = "class_weights", inputs, outputs
    // Optimizer
    case optimizer, learningRate = "lr", momentum, dampening, nesterov, weightDecay = "weight_decay"
    case beta1, beta2, eps, alpha, rho, lrDecay = "lr_decay", momentumDecay = "momentum_decay"
    case initialAccumulator = "initial_accumulator", centered, decoupledWeightDecay = "decoupled_weight_decay"
    // Schedule
    case schedule, lrStep = "lr_step", gamma, milestones, power, startFactor = "start_factor"
    case endFactor = "end_factor", totalEpochs = "total_epochs", etaMin = "eta_min", tMax = "t_max", t0
    case tMult = "t_mult", baseRate = "base_lr", stepSizeUp = "step_size_up", stepSizeDown = "step_size_down"
    case cyclicMode = "mode", baseMomentum = "base_momentum", maxMomentum = "max_momentum"
    case cycleMomentum = "cycle_momentum", noCycleMomentum = "no_cycle_momentum", pctStart = "pct_start"
    case anneal, divFactor = "div_factor", finalDivFactor = "final_div_factor", factor, patience
    case threshold, cooldown, minRate = "min_lr", warmupSteps = "warmup_steps", warmupEpochs = "warmup_epochs"
    case warmupStartFactor = "warmup_start_factor", scaleRateByBatch = "scale_lr_by_batch"
    // Run
    case epochs, batchSize = "batch_size", seed, workers, shardSize = "shard_size", stepsPerEpoch = "steps_per_epoch"
    case clipNorm = "clip_norm", clipValue = "clip_value", onNonFinite = "on_nonfinite", earlyStop = "early_stop"
    case diagnostics, kernels, isa
    // Checkpoints and outputs
    case checkpoint, checkpointEvery = "checkpoint_every", checkpointEverySteps = "checkpoint_every_steps"
    case keepLast = "keep_last", saveBest = "save_best", metrics, resume, output = "out", plot
    // LR range test
    case startRate = "start_lr", endRate = "end_lr", steps, smoothing

    /// The setting's name as stored and as library messages show it.
    public var name: String { rawValue }
}
