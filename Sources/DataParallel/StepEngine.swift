import NeuralNet
import Optimizers
import Settings

/// The outcome of one optimizer step.
public struct StepResult: Sendable {
    /// Batch-mean loss before the update: Σ ℓ / rows, or Σ w_t·ℓ / Σ w_t with class weights.
    public var loss: Double
    /// The learning rate the step used.
    public var learningRate: Float
    /// The momentum (SGD, RMSprop) or β₁ (Adam family) a cycling schedule set for the step, if any.
    public var momentum: Float?
    /// Global L2 norm of the batch-mean gradient before clipping (NaN when the loss was not finite).
    public var gradientNorm = Double.nan
    /// Whether clipping by norm scaled the gradient down.
    public var clipped = false
    /// The first layer (0-based) whose gradient holds NaN or ±∞, if any.
    public var nonFiniteGradientLayer: Int?
    /// Whether the parameters were updated (false for a non-finite loss, or a gradient skipped by policy).
    public var applied = false
    /// False when the loss was NaN or ±∞; the parameters were then left untouched.
    public var isFinite: Bool { loss.isFinite }
}

/// Data-parallel minibatch training of one network, in two phases per step:
///
///  1. the worker pool runs forward and backward passes on fixed micro-shards of the batch (rows),
///     leaving every layer's δ for the whole batch in shared buffers (with `trainStep(selection:)`
///     each worker first copies its shards' rows from the sample matrix);
///  2. each worker computes fixed `GradientBlock`s of the batch-mean gradient (one product over the
///     whole batch per block) and applies the optimizer to those parameters at once, while they are
///     in cache.
///
/// The mean divides by the batch's weight W = Σ_shards (shard weight), added in shard order: the row
/// count, or Σ w_t over the rows' classes with cross-entropy class weights (PyTorch's `weight=` with
/// `reduction='mean'`): L = Σ w_t·ℓ / W and ∂L/∂θ = (1/W)·∂(Σ w_t·ℓ)/∂θ. A batch of weight 0 (only
/// classes of weight 0) has loss 0 and a zero gradient.
///
/// Owned buffers (Float32 unless noted; P = parameter count, S = shards per largest batch):
///
///     parameters      (P)          the model, layer by layer as NetworkArchitecture lays it out
///     optimizerState  (k × P)      k = optimizer.stateCount (momentum: 1)
///     gradient        (P)          batch-mean gradient, written block by block in phase 2
///     shardLoss       (S, Double)  Σ loss over shard s, summed in shard order
///     shardWeight     (S, Double)  Σ weight over shard s (its rows, or Σ w_t), summed in shard order
///     batch           NetworkPass    activations and δ of every layer, (maximumBatch × width)
///
/// Nothing is allocated by `trainStep`. Shards and blocks depend only on the shard size and the
/// architecture, so every float operation of a step is the same whatever the worker count: trained
/// weights are bit-identical for 1, 2, 3 or more workers.
///
/// Across processes (`ranks`, under mpirun) each rank runs phase 1 on its contiguous shards and
/// phase 2 on the blocks it owns (`RankShares`); `RankExchange` moves the rows, sums and updated
/// blocks between the phases, so every rank makes the same float operations as one process would.
public final class StepEngine: @unchecked Sendable {
    public let architecture: NetworkArchitecture
    public let loss: Loss
    public let plan: ShardPlan
    public let pool: WorkerPool
    public let maximumBatch: Int
    public let optimizer: any Optimizer
    /// The kernels the step's matrix products run on.
    public var products: MatrixProducts { batch.products }
    /// Global optimizer step: how many updates have been applied.
    public private(set) var step: Int = 0
    /// Gradient clipping and what to do with non-finite gradients; set before training.
    public var health = GradientHealthSettings()
    /// Seed of the dropout masks (used when a layer has dropout); set before training.
    public var dropoutSeed: UInt64 = 0
    /// Worker time spent in each stage so far, summed over the workers (for `h5train bench`).
    public var stageTimes: StageTimes { clock.totals }
    /// The processes this run is spread over (`.single`: this one).
    public let ranks: Communicator
    /// What the step exchanges with the other processes; nil for one process.
    let exchange: RankExchange?
    /// `stopVote` of one process.
    var localStopVote = false
    /// Across processes: an in-place all-gather to make together with the next step's parameter
    /// exchange, at no synchronisation of its own (the next batch's input rows, when the ranks
    /// share the training rows). The step clears it once made; still set after a step means the
    /// step made no parameter exchange (a non-finite loss), the same on every rank.
    public var gatherWithParameters: InPlaceGather?

    private let parameterCount: Int
    /// The model (internal for the evaluation extension; only the step writes it).
    let parameters: UnsafeMutablePointer<Float>
    let optimizerState: UnsafeMutablePointer<Float>  // internal for StepEngine+Ranks
    let gradient: UnsafeMutablePointer<Float>  // internal for StepEngine+Inspection
    private let shardLoss: UnsafeMutablePointer<Double>
    private let shardWeight: UnsafeMutablePointer<Double>
    /// Σ squares of each gradient block's values, by block index (summed in that order).
    private let blockSquares: UnsafeMutablePointer<Double>
    private let blocks: [GradientBlock]
    private let batch: NetworkPass
    /// Each worker's gradient blocks (of those this process owns), balanced by cost; which worker
    /// (or process) does a block never changes its result.
    private let blocksByWorker: [[GradientBlock]]
    /// The two phases of a step, reused by every step.
    private let deltasPhase: DeltasPhase
    private let updatePhase: UpdatePhase
    /// Forward passes on the current parameters, for validation during training.
    public let predictor: Predictor
    private let clock: StageClock

    public init(
        architecture: NetworkArchitecture, loss: Loss, parameters initial: [Float],
        optimizer: any Optimizer, plan: ShardPlan, workers: Int, maximumBatch: Int, products: MatrixProducts = .current,
        ranks: Communicator = .single
    ) {
        precondition(initial.count == architecture.parameterCount, "parameter count does not match the architecture")
        precondition(maximumBatch >= 1, "batch size must be positive")
        self.architecture = architecture
        self.loss = loss
        self.plan = plan
        self.pool = WorkerPool(workers: workers)
        self.maximumBatch = maximumBatch
        self.optimizer = optimizer

        let p = architecture.parameterCount
        parameterCount = p
        parameters = Self.allocate(p)
        parameters.update(from: initial, count: p)
        optimizerState = Self.allocate(max(1, optimizer.stateCount) * p)
        gradient = Self.allocate(p)
        let shards = plan.shardCount(rows: maximumBatch)
        shardLoss = .allocate(capacity: shards)
        shardLoss.initialize(repeating: 0, count: shards)
        shardWeight = .allocate(capacity: shards)
        shardWeight.initialize(repeating: 0, count: shards)
        batch = NetworkPass(architecture: architecture, capacity: maximumBatch, products: products)
        blocks = architecture.gradientBlocks()
        blockSquares = .allocate(capacity: blocks.count)
        blockSquares.initialize(repeating: 0, count: blocks.count)
        let shares = RankShares(rank: ranks.rank, ranks: ranks.size)
        blocksByWorker = Self.balance(shares.ownedBlocks(blocks), workers: workers)
        self.ranks = ranks
        exchange = ranks.isDistributed
            ? RankExchange(ranks: ranks, plan: plan, batch: batch, afterDropout: architecture.usesDropout, blocks: blocks,
                           shardLoss: shardLoss, shardWeight: shardWeight, blockSquares: blockSquares)
            : nil
        predictor = Predictor(architecture: architecture, loss: loss, parameters: UnsafePointer(parameters), pool: pool,
                              products: products, ranks: ranks)
        clock = StageClock(workers: workers)
        deltasPhase = DeltasPhase(batch: batch, plan: plan, loss: loss,
                                  targetWidth: loss.usesClassIndices ? 1 : architecture.outputSize, workerCount: workers,
                                  shares: shares, shardLoss: shardLoss, shardWeight: shardWeight, clock: clock)
        updatePhase = UpdatePhase(batch: batch, blocksByWorker: blocksByWorker, parameters: parameters, gradient: gradient,
                                  optimizerState: optimizerState, blockSquares: blockSquares,
                                  parameterCount: p, afterDropout: architecture.usesDropout, optimizer: optimizer,
                                  clock: clock)
        updatePhase.pieces = exchange?.pieces
        deltasPhase.exchange = exchange
    }

    deinit {
        parameters.deallocate()
        optimizerState.deallocate()
        gradient.deallocate()
        shardLoss.deallocate()
        shardWeight.deallocate()
        blockSquares.deallocate()
    }

    /// Columns of the target matrix: 1 (class id) for class losses, else the output width.
    public var targetWidth: Int { loss.usesClassIndices ? 1 : architecture.outputSize }

    /// One optimizer step on a batch.
    ///
    /// - Parameters:
    ///   - input: rows × inputSize features.
    ///   - targets: rows × targetWidth.
    ///   - learningRate: the schedule's rate for this step.
    ///   - momentum: the momentum (or β₁) a cycling schedule sets for this step; nil keeps the optimizer's.
    public func trainStep(input: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int,
                          learningRate: Float, momentum: Float? = nil) -> StepResult {
        precondition(rows >= 1 && rows <= maximumBatch, "batch of \(rows) rows outside 1...\(maximumBatch)")
        deltasPhase.prepare(parameters: parameters, input: input, targets: targets, rows: rows, dropout: dropoutKey)
        return step(input: input, rows: rows, learningRate: learningRate, momentum: momentum)
    }

    /// One optimizer step on the rows `selection.rows` of a sample matrix, gathered by the workers
    /// (each copies the rows of its own micro-shards). The same result as gathering them first and
    /// calling `trainStep(input:targets:rows:)`.
    public func trainStep(selection: BatchSelection, learningRate: Float, momentum: Float? = nil) -> StepResult {
        let rows = selection.rows.count
        precondition(rows >= 1 && rows <= maximumBatch, "batch of \(rows) rows outside 1...\(maximumBatch)")
        let input = deltasPhase.prepare(parameters: parameters, selection: selection, dropout: dropoutKey)
        return step(input: input, rows: rows, learningRate: learningRate, momentum: momentum)
    }

    /// This step's dropout mask key, when the network uses dropout.
    private var dropoutKey: DropoutKey? {
        architecture.usesDropout ? DropoutKey(seed: dropoutSeed, step: step) : nil
    }

    /// Runs a step whose phase 1 is prepared; `input` is the batch's input rows, for phase 2.
    private func step(input: UnsafePointer<Float>, rows: Int, learningRate: Float, momentum: Float?) -> StepResult {
        let shards = plan.shardCount(rows: rows)

        // Phase 1: (gathering and) forward passes and deltas of the micro-shards. Across processes the
        // rows complete after the forward passes travel while the hidden layers' δ are computed.
        if let exchange {
            deltasPhase.part = .forward
            pool.run(deltasPhase)
            ranks.orAbort { () throws(TrainingError) in try exchange.startForwardRows(batchRows: rows) }
            deltasPhase.part = .hiddenDeltas
            pool.run(deltasPhase)
            ranks.orAbort { () throws(TrainingError) in try exchange.gatherRows(batchRows: rows) }
        } else {
            pool.run(deltasPhase)
        }
        var lossSum = 0.0, weightSum = 0.0
        for shard in 0..<shards {
            lossSum += shardLoss[shard]
            weightSum += shardWeight[shard]
        }
        // Without class weights weightSum = rows exactly (integers in float64): the plain batch mean.
        let hasWeight = weightSum > 0
        // A batch of weight 0 has loss 0 (PyTorch: NaN), unless it is not finite anyway.
        var result = StepResult(loss: hasWeight ? lossSum / weightSum : (lossSum.isFinite ? 0 : lossSum),
                                learningRate: learningRate, momentum: momentum)
        guard result.isFinite else { return result }

        // Phase 2: each worker computes its blocks of the mean gradient and updates those parameters.
        updateParameters(momentum: momentum, input: input, rows: rows,
                         scale: hasWeight ? 1 / Float(weightSum) : 0, learningRate: learningRate, result: &result)
        if result.applied { self.step += 1 }
        return result
    }

    /// Phase 2: gradient blocks and updates.
    ///
    /// Fused (the default): each block's gradient is computed, clamped if asked, measured and applied
    /// while it is in cache. When the global norm must be known first (`clip_norm`, or skipping
    /// non-finite steps), gradients and updates are two phases with the norm in between.
    ///
    /// - Parameter scale: 1 / the batch's weight (1 / rows without class weights), turning the
    ///   gradient of the loss sum into that of the mean.
    private func updateParameters(momentum: Float?, input: UnsafePointer<Float>, rows: Int, scale: Float,
                                  learningRate: Float, result: inout StepResult) {
        let fused = !health.needsNormBeforeUpdate
        updatePhase.prepare(optimizer: momentum.map { optimizer.cyclingMomentum($0) } ?? optimizer,
                            input: input, rows: rows, scale: scale, learningRate: learningRate, step: step,
                            clipValue: health.clipValue, mode: fused ? .fused : .gradientsOnly)
        if fused { beginParameterPieces() }
        pool.run(updatePhase)
        if let exchange {  // across processes: every block's squares (with the updated blocks when fused)
            ranks.orAbort { () throws(TrainingError) in
                if fused { try exchange.shareParameters(parameters, alongside: takeGatherWithParameters()) } else { try exchange.gatherSquares() }
            }
        }
        var squares = 0.0
        for index in blocks.indices { squares += blockSquares[index] }
        result.gradientNorm = squares.squareRoot()
        if !squares.isFinite {
            result.nonFiniteGradientLayer = blocks.first { !blockSquares[$0.index].isFinite }?.layer
        }
        if fused {
            result.applied = true
            return
        }
        guard result.nonFiniteGradientLayer == nil else { return }  // skipped: parameters untouched
        var factor: Float = 1
        if let clipNorm = health.clipNorm {
            let coefficient = Double(clipNorm) / (result.gradientNorm + 1e-6)
            if coefficient < 1 {
                factor = Float(coefficient)
                result.clipped = true
            }
        }
        updatePhase.mode = .apply(factor: factor)
        beginParameterPieces()
        pool.run(updatePhase)
        shareParameters()
        result.applied = true
    }

    /// In a run across processes: every owner's updated blocks to every rank.
    private func shareParameters() {
        guard let exchange else { return }
        ranks.orAbort { () throws(TrainingError) in try exchange.shareParameters(parameters, alongside: takeGatherWithParameters()) }
    }

    /// In a run across processes, before the updates: each updated block's weights will start
    /// travelling to the other ranks as soon as it is updated (`ParameterPieces`).
    private func beginParameterPieces() {
        guard let exchange else { return }
        ranks.orAbort { () throws(TrainingError) in try exchange.pieces.begin(parameters) }
    }

    private func takeGatherWithParameters() -> InPlaceGather? {
        defer { gatherWithParameters = nil }
        return gatherWithParameters
    }

    /// Σ squares of the last step's gradient per layer (before clipping by norm), into `squares`
    /// (one entry per layer; resized only if it has the wrong count).
    public func layerGradientSquares(into squares: inout [Double]) {
        if squares.count != architecture.layers.count {
            squares = [Double](repeating: 0, count: architecture.layers.count)
        }
        for i in squares.indices { squares[i] = 0 }
        for block in blocks { squares[block.layer] += blockSquares[block.index] }
    }

    /// Assigns blocks to workers, largest first to the least-loaded worker (deterministic).
    static func balance(_ blocks: [GradientBlock], workers: Int) -> [[GradientBlock]] {
        var assigned = [[GradientBlock]](repeating: [], count: workers)
        var load = [Int](repeating: 0, count: workers)
        for block in blocks.sorted(by: { $0.cost > $1.cost }) {
            let worker = load.indices.min { load[$0] < load[$1] } ?? 0
            assigned[worker].append(block)
            load[worker] += block.cost
        }
        return assigned
    }

    /// A copy of the current parameters.
    public var parameterValues: [Float] {
        Array(UnsafeBufferPointer(start: parameters, count: parameterCount))
    }

    /// A copy of the optimizer's state buffers (stateCount × parameterCount).
    public var optimizerStateValues: [Float] {
        Array(UnsafeBufferPointer(start: optimizerState, count: optimizer.stateCount * parameterCount))
    }

    /// Restores parameters, optimizer state and step, e.g. from a checkpoint.
    public func restore(parameters values: [Float], optimizerState state: [Float], step: Int) {
        precondition(values.count == parameterCount, "parameter count does not match")
        precondition(state.count == optimizer.stateCount * parameterCount, "optimizer state size does not match")
        parameters.update(from: values, count: parameterCount)
        optimizerState.update(from: state, count: state.count)
        self.step = step
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        buffer.initialize(repeating: 0, count: max(count, 1))
        return buffer
    }
}
