import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings

/// The learning-rate range test (Smith 2017, "Cyclical Learning Rates", §3.3; fastai's `lr_find`):
/// train for a few steps while the rate grows exponentially, and watch the loss.
///
///     lr(k) = start · (end/start)^(k/(steps − 1))           k = 0 … steps − 1
///
/// The loss is smoothed with an exponential moving average, bias-corrected as fastai does
/// (β = 1 − smoothing):
///
///     avg(k) = β·avg(k − 1) + (1 − β)·loss(k),  avg(−1) = 0,    smoothed(k) = avg(k) / (1 − β^(k+1))
///
/// and the sweep stops as soon as the smoothed loss exceeds ``divergenceFactor`` × the best so far,
/// or a loss is NaN or infinite.
///
/// The sweep trains a throwaway copy of the network: its own engine, optimizer state and step
/// counter, starting from the trainer's current (initial) weights. The trainer is never modified:
/// afterwards its weights are exactly those it had before, so `Trainer.run` starts from the same
/// initialisation as without the test.
public struct LRFinder: Sendable {
    /// The multiple of the best smoothed loss at which the sweep stops (fastai's 4).
    public static let divergenceFactor = 4.0

    /// The rate at step 0.
    public var startRate = 1e-7
    /// The rate at the last step.
    public var endRate = 10.0
    /// Steps of the sweep (at most: it stops early on divergence).
    public var steps = 100
    /// Weight of each new loss in the moving average, 1 − β.
    public var smoothing = 0.05

    public init() {}

    /// Checks ranges; each error names the flag.
    public func validate() throws(TrainingError) {
        func fail(_ setting: Setting, _ message: SettingText) -> TrainingError { .invalidSetting(setting, message) }
        guard startRate.isFinite && startRate > 0 else { throw fail(.startRate, "must be a positive number, got \(startRate)") }
        guard endRate.isFinite && endRate > startRate else { throw fail(.endRate, "must be larger than \(.startRate) (\(startRate)), got \(endRate)") }
        guard steps >= 2 else { throw fail(.steps, "must be at least 2, got \(steps)") }
        guard smoothing > 0 && smoothing <= 1 else { throw fail(.smoothing, "must be in (0, 1], got \(smoothing)") }
    }

    /// The sweep as a schedule: `ExponentialSchedule` from ``startRate`` by (end/start)^(1/(steps − 1)) per step.
    public var schedule: ExponentialSchedule {
        ExponentialSchedule(rate: startRate, gamma: pow(endRate / startRate, 1 / Double(steps - 1)))
    }

    /// Runs the sweep on a copy of `trainer`'s network, on batches of its training data in the order
    /// training would use (epoch 1's permutation, then epoch 2's, …; a streamed run's windows).
    ///
    /// Across processes (a trainer with ranks) every rank runs the sweep's steps together, and each
    /// step's loss is the batch's on every rank, so all stop at the same step with the same curve.
    ///
    /// - Parameter progress: called after each step with the step and its point.
    public func run(on trainer: Trainer, progress: (LRFinderPoint) -> Void = { _ in }) throws(TrainingError) -> LRFinderResult {
        try validate()
        try trainer.checkRanksAgree()
        let original = trainer.engine
        let engine = StepEngine(
            architecture: original.architecture, loss: original.loss, parameters: original.parameterValues,
            optimizer: original.optimizer, plan: original.plan,
            workers: original.pool.workerCount, maximumBatch: original.maximumBatch, ranks: original.ranks)
        engine.health = original.health
        let configuration = trainer.configuration, schedule = schedule
        let batches = SweepBatches(data: trainer.data, batchSize: configuration.batchSize, seed: configuration.seed, steps: steps)
        var result = try sweep(engine, batches: batches, schedule: schedule, progress: progress)
        result.readerReport = batches.stop()
        return result
    }

    /// The sweep's steps on `engine`, until the last or until the loss diverges.
    private func sweep(_ engine: StepEngine, batches: SweepBatches, schedule: ExponentialSchedule,
                       progress: (LRFinderPoint) -> Void) throws(TrainingError) -> LRFinderResult {
        var points: [LRFinderPoint] = []
        var average = 0.0, best = Double.infinity
        let beta = 1 - smoothing
        for k in 0..<steps {
            let result = try batches.trainStep(engine, schedule: schedule).result
            average = beta * average + (1 - beta) * result.loss
            let smoothed = average / (1 - pow(beta, Double(k + 1)))
            let point = LRFinderPoint(step: k, learningRate: Double(result.learningRate), loss: result.loss, smoothedLoss: smoothed)
            points.append(point)
            progress(point)
            guard smoothed.isFinite, result.nonFiniteGradientLayer == nil else {
                return LRFinderResult(points: points, divergedAtStep: k, plannedSteps: steps)
            }
            best = min(best, smoothed)
            if smoothed > Self.divergenceFactor * best {
                return LRFinderResult(points: points, divergedAtStep: k, plannedSteps: steps)
            }
        }
        return LRFinderResult(points: points, divergedAtStep: nil, plannedSteps: steps)
    }
}

/// One step of the range test.
public struct LRFinderPoint: Sendable, Equatable {
    public var step: Int
    /// The rate the step used.
    public var learningRate: Double
    /// The batch loss before the update.
    public var loss: Double
    /// The bias-corrected moving average of the losses so far.
    public var smoothedLoss: Double

    public init(step: Int, learningRate: Double, loss: Double, smoothedLoss: Double) {
        self.step = step
        self.learningRate = learningRate
        self.loss = loss
        self.smoothedLoss = smoothedLoss
    }
}
