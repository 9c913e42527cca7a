import Checkpoint
import DataParallel
import NeuralNet
import Optimizers
import Training

/// The run-level part of `h5train explain`: learning-rate schedule, gradient health, workers and
/// shards, and the determinism guarantee.
enum ExplanationRun {
    /// The schedule's formula and parameters; with `stepsPerEpoch`, the rates it gives over the run.
    static func schedule(_ configuration: TrainingConfiguration, stepsPerEpoch: Int?) -> [String] {
        let settings = configuration.schedule
        let rate = configuration.resolvedLearningRate
        var lines = ["schedule: \(settings.kind.rawValue): \(formula(settings, rate: Double(settings.scaledRate(rate, batchSize: configuration.batchSize))))"
                     + (settings.kind == .constant ? "" : " (k = optimizer step, E = steps per epoch; PyTorch's parameter names and defaults)")]
        if settings.hasWarmup {
            let length = settings.warmupSteps.map { "\($0) steps" } ?? "\(settings.warmupEpochs ?? 0) epochs"
            lines.append("  warm-up: \(length), lr(k) = target·(s + (1 − s)·k/W), s = \(ExplanationFormat.rate(settings.warmupStartFactor)), target = the schedule's first rate; then the schedule from its own step 0")
        }
        lines += settings.notes(rate: rate, batchSize: configuration.batchSize, optimizer: configuration.optimizer).map { "  " + $0.withFlags }
        guard let stepsPerEpoch else {
            if settings.kind == .constant && !settings.hasWarmup { return lines }
            lines.append("  steps per epoch unknown: give --data or --steps-per-epoch (⌈training rows / batch size⌉) to see the rates over the run")
            return lines
        }
        let (total, overflow) = configuration.epochs.multipliedReportingOverflow(by: stepsPerEpoch)
        guard !overflow else { return lines + ["  \(configuration.epochs) epochs × \(stepsPerEpoch) steps is too many steps to evaluate"] }
        let schedule = configuration.makeSchedule(stepsPerEpoch: stepsPerEpoch)
        let warmup = settings.warmupStepCount(stepsPerEpoch: stepsPerEpoch)
        let phases = warmup > 0 ? " (\(ExplanationFormat.grouped(min(warmup, total))) of warm-up, then \(settings.kind.rawValue))" : ""
        let end = schedule.endStep.map { $0 < total - 1 ? "; the rate is held from step \(ExplanationFormat.grouped($0)) on" : "" } ?? ""
        lines.append("  run: \(ExplanationFormat.grouped(configuration.epochs)) epochs × \(ExplanationFormat.grouped(stepsPerEpoch)) steps = \(ExplanationFormat.grouped(total)) optimizer steps\(phases)\(end)")
        lines.append("  lr: " + summary(total: total, stepsPerEpoch: stepsPerEpoch) { Double(schedule.learningRate(atStep: $0)) }
                     + (settings.isPlateau ? " (before any reduction: reductions depend on the loss)" : ""))
        if schedule.momentum(atStep: 0) != nil {
            let term = configuration.optimizer.kind.momentumTermName
            lines.append("  \(term): " + summary(total: total, stepsPerEpoch: stepsPerEpoch, low: true) { Double(schedule.momentum(atStep: $0) ?? 0) })
        }
        return lines
    }

    /// "first X (step 0), peak Y (step k, epoch e), last Z (step T − 1)": every step is evaluated
    /// up to a million, an even sample of them beyond (then the peak is marked ≈).
    private static func summary(total: Int, stepsPerEpoch: Int, low: Bool = false, _ value: (Int) -> Double) -> String {
        let stride = max(1, total / 1_000_000)
        var best = (value: value(0), step: 0)
        for k in Swift.stride(from: 0, to: total, by: stride) + [total - 1] {
            let v = value(k)
            if low ? v < best.value : v > best.value { best = (v, k) }
        }
        let first = value(0), last = value(total - 1)
        let format = { (v: Double) in ExplanationFormat.rate(Double(Float(v))) }
        var parts = ["first \(format(first)) (step 0)"]
        if best.value != first && best.value != last {
            parts.append("\(low ? "lowest" : "peak") \(stride > 1 ? "≈ " : "")\(format(best.value)) (step \(ExplanationFormat.grouped(best.step)), epoch \(ExplanationFormat.grouped(best.step / stepsPerEpoch + 1)))")
        }
        parts.append("last \(format(last)) (step \(ExplanationFormat.grouped(total - 1)))")
        if best.value == first && first == last { return "\(format(first)) at every step" }
        return parts.joined(separator: ", ")
    }

    /// The schedule's per-step formula with its parameter values.
    private static func formula(_ s: ScheduleSettings, rate lr: Double) -> String {
        let f = ExplanationFormat.rate, p = ExplanationFormat.plain
        return switch s.kind {
        case .step: "lr(k) = lr·γ^⌊k/(N·E)⌋, lr = \(f(lr)), N = \(s.stepEpochs ?? 1) epochs, γ = \(p(s.resolvedGamma))"
        case .multistep: "lr(k) = lr·γ^(milestones passed), lr = \(f(lr)), milestones \(s.milestones.map(String.init).joined(separator: ",")) epochs, γ = \(p(s.resolvedGamma))"
        case .exponential: "lr(k) = lr·γ^(k/E), lr = \(f(lr)), γ = \(p(s.resolvedGamma)) per epoch"
        case .polynomial: "lr(k) = lr·(1 − k/T)^power, lr = \(f(lr)), power = \(p(s.power)), T = the run"
        case .linear: "lr(k) = lr·(s + (e − s)·min(k, N·E)/(N·E)), lr = \(f(lr)), s = \(p(s.startFactor)), e = \(p(s.endFactor)), N = \(s.totalEpochs) epochs"
        case .cosine: "lr(k) = η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2, lr = \(f(lr)), η_min = \(p(s.etaMin)), T_max = \(s.tMaxEpochs.map { "\($0) epochs" } ?? "the run")"
        case .cosineRestarts: "lr(k) = η_min + (lr − η_min)·(1 + cos(π·T_cur/T_i))/2 within cycles T_i = T_0·T_mult^i, lr = \(f(lr)), η_min = \(p(s.etaMin)), T_0 = \(s.t0Epochs ?? 1) epochs, T_mult = \(s.tMult)"
        case .cyclic: "lr(k) = base_lr + (lr − base_lr)·h(k), h a triangle wave 0 → 1 → 0, base_lr = \(f(s.baseRate ?? 0)), lr = \(f(lr)), \(s.stepSizeUp) steps up, \(s.stepSizeDown ?? s.stepSizeUp) down, mode \(s.cyclicMode)"
        case .onecycle:
            "lr/div → lr → lr/(div·final_div)\(s.threePhase ? " in three phases (up, back to lr/div, down)" : ""), \(s.anneal) anneal, peak lr = \(f(lr)) after pct_start = \(p(s.pctStart)) of the run, div = \(p(s.divFactor)), final_div = \(p(s.finalDivFactor))"
        case .plateau: "lr × factor when the loss has not improved (loss < best·(1 − threshold)) for patience epochs; lr = \(f(lr)), factor = \(p(s.factor)), patience = \(s.patience), threshold = \(p(s.threshold)), cooldown = \(s.cooldown), min_lr = \(p(s.minRate))"
        case .constant: "lr(k) = lr = \(f(lr))"
        }
    }

    /// Clipping and the NaN/Inf policy.
    static func health(_ configuration: TrainingConfiguration) -> [String] {
        let health = configuration.health
        var lines: [String] = []
        switch (health.clipValue, health.clipNorm) {
        case (nil, nil): lines.append("gradient clipping: none (--clip-value V clamps each value, --clip-norm M rescales the global L2 norm)")
        case (let value, let norm):
            if let value { lines.append("gradient clipping by value (PyTorch's clip_grad_value_): g_i ← min(max(g_i, −v), v), v = \(ExplanationFormat.rate(Double(value)))") }
            if let norm { lines.append("gradient clipping by norm (PyTorch's clip_grad_norm_)\(health.clipValue == nil ? "" : ", after the value clipping"): g ← g·min(1, M/(‖g‖₂ + 1e-6)), M = \(ExplanationFormat.rate(Double(norm))), ‖g‖₂ over every weight and bias") }
        }
        switch health.onNonFinite {
        case .stop: lines.append("non-finite loss or gradient (NaN, ±Inf): stop, naming the step, the layer and the last finite loss (--on-nonfinite skip to skip such steps)")
        case .skip: lines.append("non-finite loss or gradient (NaN, ±Inf): skip the step, leaving the parameters unchanged, and go on")
        }
        if let patience = configuration.earlyStopPatience { lines.append("early stopping: after \(patience) epochs without a better validation loss") }
        return lines
    }

    /// Workers, micro-shards and the determinism guarantee.
    static func parallelism(_ configuration: TrainingConfiguration) -> [String] {
        let (batch, shard, workers) = (configuration.batchSize, configuration.shardSize, configuration.workers)
        let shards = (batch + shard - 1) / shard
        return [
            "parallelism: \(workers) worker\(workers == 1 ? "" : "s") (OpenBLAS single-threaded in each); a batch of \(batch) rows is \(shards) micro-shard\(shards == 1 ? "" : "s") of ≤ \(shard) rows whose forward and backward passes run in parallel; then fixed blocks of the batch-mean gradient (one product over the whole batch each) are computed and applied by the workers",
            "determinism: with --seed \(configuration.seed) (initial weights, shuffling, splits) the result is bit-for-bit identical for any --workers; only --shard-size changes the float summation order",
        ]
    }
}
