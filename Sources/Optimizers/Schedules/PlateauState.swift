/// The fixed settings of reduce-on-plateau (PyTorch `ReduceLROnPlateau`; defaults are PyTorch's).
public struct PlateauParameters: Sendable, Equatable, CustomStringConvertible {
    /// Whether the watched metric should go down (a loss) or up (an accuracy).
    public enum Mode: String, Sendable, CaseIterable {
        case min
        case max
    }

    /// How `threshold` defines a significant improvement; raw values are PyTorch's names.
    public enum ThresholdMode: String, Sendable, CaseIterable {
        /// Better than best·(1 ∓ threshold).
        case rel
        /// Better than best ∓ threshold.
        case abs
    }

    /// The rate before any reduction.
    public var rate: Double
    public var mode: Mode
    /// The rate is multiplied by this (< 1) on a reduction.
    public var factor: Double
    /// Epochs without a significant improvement tolerated; one more triggers a reduction.
    public var patience: Int
    public var threshold: Double
    public var thresholdMode: ThresholdMode
    /// Epochs after a reduction during which bad epochs are not counted.
    public var cooldown: Int
    /// The rate is never reduced below this.
    public var minRate: Double
    /// A reduction smaller than this is skipped (the rate stays as it is).
    public var eps: Double

    public init(
        rate: Double, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
        thresholdMode: ThresholdMode = .rel, cooldown: Int = 0, minRate: Double = 0, eps: Double = 1e-8
    ) {
        precondition(factor < 1, "factor must be < 1")
        precondition(patience >= 0 && cooldown >= 0, "patience and cooldown must not be negative")
        self.rate = rate
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.minRate = minRate
        self.eps = eps
    }

    /// Whether `metric` is a significant improvement on `best`.
    public func isImprovement(_ metric: Double, over best: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): metric < best * (1.0 - threshold)
        case (.min, .abs): metric < best - threshold
        case (.max, .rel): metric > best * (threshold + 1.0)
        case (.max, .abs): metric > best + threshold
        }
    }

    public var description: String {
        let better = switch (mode, thresholdMode) {
        case (.min, .rel): "< best·(1 − \(threshold))"
        case (.min, .abs): "< best − \(threshold)"
        case (.max, .rel): "> best·(1 + \(threshold))"
        case (.max, .abs): "> best + \(threshold)"
        }
        return "plateau lr=\(rate): ×\(factor) (not below \(minRate), skipped if the change ≤ \(eps)) after \(patience + 1) epochs in a row without a metric \(better), then \(cooldown) epochs of cooldown"
    }
}

/// Reduce-on-plateau (PyTorch `ReduceLROnPlateau`): the one stateful schedule.
///
/// The rate changes only in ``observe(metric:)``, called once per epoch with the watched metric,
/// exactly as PyTorch's `scheduler.step(metric)`:
///
///     if metric is an improvement on best (see ``PlateauParameters/isImprovement(_:over:)``):
///         best ← metric, badEpochs ← 0          else badEpochs += 1
///     if cooldownCounter > 0: cooldownCounter −= 1, badEpochs ← 0
///     if badEpochs > patience:
///         new ← max(rate·factor, minRate); if rate − new > eps: rate ← new
///         cooldownCounter ← cooldown, badEpochs ← 0
///
/// `learningRate(atStep:)` returns the current rate whatever the step. The state is a plain value
/// (``snapshot``) for checkpoints; ``init(_:restoring:)`` continues exactly where it left off.
public struct PlateauState: LearningRateSchedule {
    /// Everything that changes, for a checkpoint: PyTorch's `best`, `num_bad_epochs`,
    /// `cooldown_counter`, the optimizer's `lr` and `last_epoch`.
    public struct Snapshot: Sendable, Equatable {
        /// The best metric so far: +∞ (min mode) or −∞ (max mode) before the first observation.
        public var best: Double
        public var badEpochs: Int
        public var cooldownCounter: Int
        public var currentRate: Double
        /// Observations so far.
        public var epochs: Int

        public init(best: Double, badEpochs: Int, cooldownCounter: Int, currentRate: Double, epochs: Int) {
            self.best = best
            self.badEpochs = badEpochs
            self.cooldownCounter = cooldownCounter
            self.currentRate = currentRate
            self.epochs = epochs
        }
    }

    public let parameters: PlateauParameters
    public private(set) var best: Double
    public private(set) var badEpochs: Int
    public private(set) var cooldownCounter: Int
    public private(set) var currentRate: Double
    public private(set) var epochs: Int

    /// Before the first observation: rate = parameters.rate, best = the worst value for the mode.
    public init(_ parameters: PlateauParameters) {
        self.init(parameters, restoring: Snapshot(
            best: parameters.mode == .min ? .infinity : -.infinity,
            badEpochs: 0, cooldownCounter: 0, currentRate: parameters.rate, epochs: 0))
    }

    /// Continues from a saved ``snapshot``.
    public init(_ parameters: PlateauParameters, restoring snapshot: Snapshot) {
        precondition(snapshot.badEpochs >= 0 && snapshot.cooldownCounter >= 0 && snapshot.epochs >= 0,
                     "counters in a plateau snapshot must not be negative")
        self.parameters = parameters
        best = snapshot.best
        badEpochs = snapshot.badEpochs
        cooldownCounter = snapshot.cooldownCounter
        currentRate = snapshot.currentRate
        epochs = snapshot.epochs
    }

    /// The state to save; `init(parameters, restoring: snapshot)` gives back an equal value.
    public var snapshot: Snapshot {
        Snapshot(best: best, badEpochs: badEpochs, cooldownCounter: cooldownCounter,
                 currentRate: currentRate, epochs: epochs)
    }

    /// Records one epoch's metric and reduces the rate if it has plateaued.
    ///
    /// - Returns: whether the rate was reduced.
    @discardableResult
    public mutating func observe(metric: Double) -> Bool {
        epochs += 1
        if parameters.isImprovement(metric, over: best) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            badEpochs = 0  // bad epochs during cooldown are ignored
        }
        guard badEpochs > parameters.patience else { return false }
        cooldownCounter = parameters.cooldown
        badEpochs = 0
        let reduced = max(currentRate * parameters.factor, parameters.minRate)
        guard currentRate - reduced > parameters.eps else { return false }
        currentRate = reduced
        return true
    }

    public func learningRate(atStep step: Int) -> Float { Float(currentRate) }

    public var isStateful: Bool { true }

    public var description: String {
        "\(parameters); now lr=\(currentRate) after \(epochs) epochs (best \(best), \(badEpochs) bad, cooldown \(cooldownCounter))"
    }
}
