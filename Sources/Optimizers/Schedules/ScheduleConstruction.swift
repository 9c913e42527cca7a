import Foundation
import NeuralNet
import Settings

extension ScheduleSettings {
    /// The per-step schedule for a run of `totalSteps` optimizer steps of `batchSize` samples.
    ///
    /// - `rate` is the base rate (the peak for onecycle and cyclic), first multiplied by
    ///   batchSize / ``batchScalingReference`` when the linear scaling rule is on.
    /// - Lengths in epochs become steps (× `stepsPerEpoch`); "the run" (polynomial's T, cosine's
    ///   default T_max, onecycle's total) is `totalSteps` minus the warm-up.
    /// - A warm-up (``warmupSteps``, or ``warmupEpochs`` × `stepsPerEpoch`) climbs linearly from
    ///   ``warmupStartFactor`` × the schedule's first rate, then the schedule starts from its own
    ///   step 0 (PyTorch's `SequentialLR`).
    ///
    /// Call ``validate()`` first: invalid settings would fail the schedules' preconditions.
    public func makeSchedule(rate: Float, stepsPerEpoch: Int, totalSteps: Int, batchSize: Int) -> any LearningRateSchedule {
        precondition(stepsPerEpoch >= 1 && totalSteps >= 1 && batchSize >= 1, "steps and batch size must be positive")
        let scaled = scaledRate(rate, batchSize: batchSize)
        let warmup = warmupStepCount(stepsPerEpoch: stepsPerEpoch)
        let run = max(totalSteps - warmup, 1)
        let schedule = mainSchedule(rate: scaled, stepsPerEpoch: stepsPerEpoch, runSteps: run, batchSize: batchSize)
        guard warmup > 0 else { return schedule }
        return WarmupSchedule(warmupSteps: warmup, startFactor: warmupStartFactor, then: schedule)
    }

    /// `rate` after the linear scaling rule (unchanged without ``batchScalingReference``).
    public func scaledRate(_ rate: Float, batchSize: Int) -> Float {
        guard let reference = batchScalingReference else { return rate }
        return Float(scaledForBatch(rate: Double(rate), batch: batchSize, reference: reference))
    }

    /// The warm-up length in steps (0 without a warm-up).
    public func warmupStepCount(stepsPerEpoch: Int) -> Int {
        warmupSteps ?? Self.steps(warmupEpochs ?? 0, stepsPerEpoch)
    }

    /// Lines worth printing before training: the batch scaling and the momentum cycling, if any.
    public func notes(rate: Float, batchSize: Int, optimizer: OptimizerSettings) -> [SettingText] {
        var notes: [SettingText] = []
        if let reference = batchScalingReference {
            notes.append("lr: scaled for the batch (linear scaling rule): \(rate) × \(batchSize)/\(reference) = \(scaledRate(rate, batchSize: batchSize))")
        }
        if cyclesMomentum {
            let (base, top) = (baseMomentum ?? kind.defaultMomentumRange.base, maxMomentum ?? kind.defaultMomentumRange.max)
            let term = optimizer.kind.momentumTermName
            notes.append("\(term): cycled by \(kind.rawValue) between \(top) and \(base), inversely to the rate, replacing the optimizer's own (\(.noCycleMomentum) to keep it)")
        }
        return notes
    }

    /// The schedule without warm-up; `rate` already scaled.
    private func mainSchedule(rate: Float, stepsPerEpoch: Int, runSteps: Int, batchSize: Int) -> any LearningRateSchedule {
        // The rate as the user wrote it (0.2, not Float(0.2) widened to 0.20000000298023224), so the
        // Double schedules compute from the intended value and print it cleanly.
        let base = Double("\(rate)") ?? Double(rate)
        func steps(_ epochs: Int) -> Int { Self.steps(epochs, stepsPerEpoch) }
        switch kind {
        case .step:
            return StepDecaySchedule(rate: rate, stepSize: steps(stepEpochs ?? 1), gamma: Float(resolvedGamma))
        case .multistep:
            return MultiStepSchedule(rate: base, milestones: milestones.map(steps), gamma: resolvedGamma)
        case .exponential:
            return ExponentialSchedule(rate: base, gamma: pow(resolvedGamma, 1 / Double(stepsPerEpoch)))
        case .polynomial:
            return PolynomialSchedule(rate: base, totalSteps: runSteps, power: power)
        case .linear:
            return LinearSchedule(rate: base, startFactor: startFactor, endFactor: endFactor, totalSteps: steps(totalEpochs))
        case .cosine:
            return CosineAnnealingSchedule(rate: base, tMax: tMaxEpochs.map(steps) ?? runSteps, etaMin: etaMin)
        case .cosineRestarts:
            return CosineWarmRestartsSchedule(rate: base, t0: steps(t0Epochs ?? 1), tMult: tMult, etaMin: etaMin)
        case .cyclic:
            let lower = batchScalingReference.map { scaledForBatch(rate: baseRate ?? 0, batch: batchSize, reference: $0) }
            return CyclicSchedule(
                baseRate: lower ?? baseRate ?? 0, maxRate: base,
                stepSizeUp: stepSizeUp, stepSizeDown: stepSizeDown, mode: CyclicSchedule.Mode(rawValue: cyclicMode) ?? .triangular,
                gamma: resolvedGamma, cycleMomentum: cycleMomentum,
                baseMomentum: baseMomentum ?? kind.defaultMomentumRange.base, maxMomentum: maxMomentum ?? kind.defaultMomentumRange.max)
        case .onecycle:
            return OneCycleSchedule(
                maxRate: base, totalSteps: runSteps, pctStart: pctStart,
                annealStrategy: OneCycleSchedule.AnnealStrategy(rawValue: anneal) ?? .cos,
                divFactor: divFactor, finalDivFactor: finalDivFactor, threePhase: threePhase, cycleMomentum: cycleMomentum,
                baseMomentum: baseMomentum ?? kind.defaultMomentumRange.base, maxMomentum: maxMomentum ?? kind.defaultMomentumRange.max)
        case .plateau:
            return PlateauState(PlateauParameters(rate: base, factor: factor, patience: patience, threshold: threshold,
                                                  cooldown: cooldown, minRate: minRate))
        case .constant:
            return ConstantSchedule(rate: rate)
        }
    }

    /// `epochs` × `stepsPerEpoch`, saturating at `Int.max` (absurd epoch counts must not trap).
    static func steps(_ epochs: Int, _ stepsPerEpoch: Int) -> Int {
        let (product, overflow) = epochs.multipliedReportingOverflow(by: stepsPerEpoch)
        return overflow ? Int.max : product
    }
}
