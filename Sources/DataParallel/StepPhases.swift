import NeuralNet
import Optimizers
import Settings

/// Phase 1 of a training step: forward passes and deltas of the batch's micro-shards. Created once
/// per engine and refilled before every step, so running it allocates nothing.
final class DeltasPhase: WorkerTask {
    private let batch: NetworkPass
    private let plan: ShardPlan
    private let loss: Loss
    private let workerCount: Int
    /// Which shards this process runs (all of them, but in a run across processes).
    private let shares: RankShares
    /// Columns of a target row: 1 (class id) for class losses, else the output width.
    private let targetWidth: Int
    /// Σ loss and Σ weight of each shard (the caller's buffers, summed in shard order afterwards).
    private let shardLoss: UnsafeMutablePointer<Double>
    private let shardWeight: UnsafeMutablePointer<Double>
    private let clock: StageClock
    /// What `run` does of each shard: everything (one process), or, across processes, the forward
    /// passes and then the hidden layers' δ in a second run, so the rows complete after the forward
    /// passes can travel in between (`RankExchange.startForwardRows`).
    enum Part { case forwardAndDeltas, forward, hiddenDeltas }
    var part = Part.forwardAndDeltas
    /// Across processes: the exchange whose forward rows worker 0 lets progress between shards.
    var exchange: RankExchange?

    // This step's inputs, set by `prepare`.
    private var parameters: UnsafePointer<Float>?
    private var input: UnsafePointer<Float>?
    private var targets: UnsafePointer<Float>?
    private var rows = 0
    private var dropout: DropoutKey?
    /// When set, each shard first copies its rows from here into `gatheredInput` and `gatheredTargets`.
    private var selection: BatchSelection?
    /// Rows gathered from a selection: (batch capacity × inputSize) and (batch capacity × targetWidth).
    private let gatheredInput: UnsafeMutablePointer<Float>
    private let gatheredTargets: UnsafeMutablePointer<Float>

    init(batch: NetworkPass, plan: ShardPlan, loss: Loss, targetWidth: Int, workerCount: Int, shares: RankShares = .single,
         shardLoss: UnsafeMutablePointer<Double>, shardWeight: UnsafeMutablePointer<Double>, clock: StageClock) {
        (self.batch, self.plan, self.loss, self.targetWidth, self.workerCount) = (batch, plan, loss, targetWidth, workerCount)
        self.shares = shares
        (self.shardLoss, self.shardWeight, self.clock) = (shardLoss, shardWeight, clock)
        gatheredInput = .allocate(capacity: batch.capacity * batch.architecture.inputSize)
        gatheredInput.initialize(repeating: 0, count: batch.capacity * batch.architecture.inputSize)
        gatheredTargets = .allocate(capacity: batch.capacity * targetWidth)
        gatheredTargets.initialize(repeating: 0, count: batch.capacity * targetWidth)
    }

    deinit {
        gatheredInput.deallocate()
        gatheredTargets.deallocate()
    }

    /// Sets up a step on a batch already in memory (rows × inputSize, rows × targetWidth).
    func prepare(parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                 rows: Int, dropout: DropoutKey?) {
        (self.parameters, self.input, self.targets, self.rows, self.dropout) = (parameters, input, targets, rows, dropout)
        selection = nil
    }

    /// Sets up a step whose workers gather the batch's rows from `selection`; returns where the
    /// gathered input rows will be (for phase 2).
    func prepare(parameters: UnsafePointer<Float>, selection: BatchSelection, dropout: DropoutKey?) -> UnsafePointer<Float> {
        prepare(parameters: parameters, input: gatheredInput, targets: gatheredTargets, rows: selection.rows.count,
                dropout: dropout)
        self.selection = selection
        return UnsafePointer(gatheredInput)
    }

    /// Worker w runs shards w, w+W, w+2W, … of this process's shards (disjoint rows of the batch
    /// buffers). In a run across processes, the workers then also gather the input rows of the
    /// other ranks' shards, which phase 2 reads for the first layer.
    func run(worker: Int) {
        guard let parameters, let input, let targets else { preconditionFailure("DeltasPhase run before prepare") }
        var time = StageClock.now()
        let shardCount = plan.shardCount(rows: rows), owned = shares.shards(shardCount: shardCount)
        for shard in stride(from: owned.lowerBound + worker, to: owned.upperBound, by: workerCount) {
            let shardRows = plan.rows(ofShard: shard, batchRows: rows)
            if part != .hiddenDeltas {
                if let selection {
                    selection.copy(shardRows, into: gatheredInput, featureCount: batch.architecture.inputSize,
                                   targets: gatheredTargets, targetWidth: targetWidth)
                    time = clock.record(.gather, worker: worker, since: time)
                }
                let sums = batch.forwardWithLoss(parameters: parameters, input: input, targets: targets,
                                                 rows: shardRows, loss: loss, dropout: dropout)
                time = clock.record(.forward, worker: worker, since: time)
                shardLoss[shard] = sums.loss
                shardWeight[shard] = sums.weight
            }
            if part != .forward {
                if worker == 0, let exchange { exchange.ranks.orAbort { () throws(TrainingError) in try exchange.progressForwardRows() } }
                batch.backpropagateHiddenDeltas(parameters: parameters, rows: shardRows, dropout: dropout)
                time = clock.record(.backward, worker: worker, since: time)
            }
        }
        guard let selection, shares.ranks > 1, part != .forward else { return }
        for shard in stride(from: worker, to: owned.lowerBound, by: workerCount) { copy(shard, from: selection) }
        for shard in stride(from: owned.upperBound + worker, to: shardCount, by: workerCount) { copy(shard, from: selection) }
        _ = clock.record(.gather, worker: worker, since: time)
    }

    @inline(__always)
    private func copy(_ shard: Int, from selection: BatchSelection) {
        selection.copy(plan.rows(ofShard: shard, batchRows: rows), into: gatheredInput, featureCount: batch.architecture.inputSize,
                       targets: gatheredTargets, targetWidth: targetWidth)
    }
}

/// Phase 2 of a training step: each worker computes its fixed gradient blocks (one product over the
/// whole batch each), measures them, and — fused, or in a second pass after clipping by the global
/// norm — applies the optimizer to them. Created once per engine; nothing is allocated per step.
final class UpdatePhase: WorkerTask {
    enum Mode {
        /// Compute, measure and apply each block while it is in cache.
        case fused
        /// Compute and measure only (the global norm must be known before any update).
        case gradientsOnly
        /// Apply the computed gradient, scaled by `factor` (clipping by norm) when it is not 1.
        case apply(factor: Float)
    }

    private let batch: NetworkPass
    private let blocksByWorker: [[GradientBlock]]
    private let parameters: UnsafeMutablePointer<Float>
    private let gradient: UnsafeMutablePointer<Float>
    private let optimizerState: UnsafeMutablePointer<Float>
    private let blockSquares: UnsafeMutablePointer<Double>
    private let parameterCount: Int
    private let afterDropout: Bool
    private let clock: StageClock

    // This step's settings, set by `prepare`.
    private var optimizer: any Optimizer
    private var input: UnsafePointer<Float>?
    private var rows = 0
    private var scale: Float = 1
    private var learningRate: Float = 0
    private var step = 0
    private var clipValue: Float?
    var mode = Mode.fused
    /// Across processes: where each updated block is reported, so its weights start travelling
    /// to the other ranks at once (active only in steps that began them).
    var pieces: ParameterPieces?

    init(batch: NetworkPass, blocksByWorker: [[GradientBlock]], parameters: UnsafeMutablePointer<Float>,
         gradient: UnsafeMutablePointer<Float>, optimizerState: UnsafeMutablePointer<Float>,
         blockSquares: UnsafeMutablePointer<Double>, parameterCount: Int, afterDropout: Bool, optimizer: any Optimizer,
         clock: StageClock) {
        (self.batch, self.blocksByWorker, self.parameters, self.gradient) = (batch, blocksByWorker, parameters, gradient)
        (self.optimizerState, self.blockSquares, self.parameterCount) = (optimizerState, blockSquares, parameterCount)
        (self.afterDropout, self.optimizer, self.clock) = (afterDropout, optimizer, clock)
    }

    /// - Parameters:
    ///   - optimizer: this step's optimizer (momentum-cycled when a schedule cycles it).
    ///   - scale: 1 / the batch's weight (1 / rows without class weights).
    func prepare(optimizer: any Optimizer, input: UnsafePointer<Float>, rows: Int, scale: Float,
                 learningRate: Float, step: Int, clipValue: Float?, mode: Mode) {
        self.optimizer = optimizer
        (self.input, self.rows, self.scale, self.learningRate, self.step) = (input, rows, scale, learningRate, step)
        (self.clipValue, self.mode) = (clipValue, mode)
    }

    func run(worker: Int) {
        guard let input else { preconditionFailure("UpdatePhase run before prepare") }
        var time = StageClock.now()
        for block in blocksByWorker[worker] {
            switch mode {
            case .fused, .gradientsOnly:
                batch.parameterGradients(input: input, batchRows: rows, block: block, scale: scale, into: gradient,
                                         afterDropout: afterDropout)
                time = clock.record(.gradients, worker: worker, since: time)
                if case .fused = mode, clipValue == nil {
                    blockSquares[block.index] = applyMeasuring(block)  // one pass over the gradient
                } else {
                    blockSquares[block.index] = block.prepareGradient(gradient, clampingTo: clipValue)
                    if case .fused = mode { apply(block) }
                }
            case .apply(let factor):
                if factor != 1 { block.scaleGradient(gradient, by: factor) }
                apply(block)
            }
            if let pieces, pieces.isActive { pieces.blockUpdated(block.index, worker: worker) }
            time = clock.record(.update, worker: worker, since: time)
        }
    }

    /// Updates the block and returns Σ g² of its gradient, as `prepareGradient` without clamping would.
    @inline(__always)
    private func applyMeasuring(_ block: GradientBlock) -> Double {
        optimizer.updateMeasuring(parameters: parameters, gradients: gradient, state: optimizerState,
                                  parameterCount: parameterCount, range: block.weightRange,
                                  learningRate: learningRate, step: step)
            + optimizer.updateMeasuring(parameters: parameters, gradients: gradient, state: optimizerState,
                                        parameterCount: parameterCount, range: block.biasRange,
                                        learningRate: learningRate, step: step)
    }

    @inline(__always)
    private func apply(_ block: GradientBlock) {
        optimizer.update(parameters: parameters, gradients: gradient, state: optimizerState,
                         parameterCount: parameterCount, range: block.weightRange, learningRate: learningRate, step: step)
        optimizer.update(parameters: parameters, gradients: gradient, state: optimizerState,
                         parameterCount: parameterCount, range: block.biasRange, learningRate: learningRate, step: step)
    }
}
