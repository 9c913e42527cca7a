import NeuralNet
import Optimizers
import Settings

/// Forward passes only, on all workers: evaluation (loss and accuracy or errors) and predictions.
///
/// Needs no optimizer and no schedule. Rows are cut into fixed chunks of ``chunkRows`` and the
/// per-chunk sums are added in chunk order, so results do not depend on the worker count. The step
/// engine's predictor evaluates across processes too: each rank takes a contiguous range of the
/// chunks, and the chunks' sums are all-gathered, so every rank adds the same sums in the same order.
///
/// Owned buffers: one `NetworkPass` per worker, for ``chunkRows`` rows.
public final class Predictor: @unchecked Sendable {
    public let architecture: NetworkArchitecture
    public let loss: Loss
    let pool: WorkerPool
    private let passes: [NetworkPass]
    /// The parameters the passes read: borrowed from a step engine, or owned (`ownedParameters`).
    private let parameters: UnsafePointer<Float>
    private let ownedParameters: UnsafeMutablePointer<Float>?
    /// The processes `evaluate` is spread over (`.single`: this one).
    let ranks: Communicator

    /// Rows one chunk holds: large enough for efficient products, fixed so results do not depend
    /// on the worker count.
    public static let chunkRows = 256

    /// A predictor for a trained model, with its own copy of the parameters and its own workers.
    public convenience init(architecture: NetworkArchitecture, loss: Loss, parameters: [Float], workers: Int,
                            products: MatrixProducts = .current) {
        precondition(parameters.count == architecture.parameterCount, "parameter count does not match the architecture")
        let owned = UnsafeMutablePointer<Float>.allocate(capacity: max(parameters.count, 1))
        owned.initialize(from: parameters, count: parameters.count)
        self.init(architecture: architecture, loss: loss, parameters: UnsafePointer(owned), owned: owned,
                  pool: WorkerPool(workers: workers), products: products)
    }

    /// A predictor reading parameters that another object owns and keeps alive (the step engine's).
    init(architecture: NetworkArchitecture, loss: Loss, parameters: UnsafePointer<Float>,
         owned: UnsafeMutablePointer<Float>? = nil, pool: WorkerPool, products: MatrixProducts, ranks: Communicator = .single) {
        (self.architecture, self.loss, self.parameters, self.ownedParameters, self.pool) = (architecture, loss, parameters, owned, pool)
        self.ranks = ranks
        passes = (0..<pool.workerCount).map { _ in NetworkPass(architecture: architecture, capacity: Self.chunkRows, products: products) }
    }

    deinit { ownedParameters?.deallocate() }

    /// Columns of the target matrix: 1 (class id) for class losses, else the output width.
    public var targetWidth: Int { loss.usesClassIndices ? 1 : architecture.outputSize }

    /// Sums over a dataset for evaluation.
    public struct EvaluationSums: Sendable {
        public var rows = 0
        /// Σ ℓ, or Σ w_t·ℓ with class weights; the mean loss is lossSum / weightSum.
        public var lossSum = 0.0
        /// Σ of the rows' weights: the row count, or Σ w_t with class weights.
        public var weightSum = 0.0
        /// Rows whose arg-max output equals the class id (class losses only).
        public var correct = 0
        public var absoluteErrorSum = 0.0
        public var squaredErrorSum = 0.0

        public init(rows: Int = 0) { self.rows = rows }
    }

    /// Loss and accuracy (or regression errors) of the current parameters over `rows` samples,
    /// computed in fixed chunks on all workers and summed in chunk order.
    public func evaluate(input: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int) -> EvaluationSums {
        evaluate(features: FeatureRows(float32: input, featureCount: architecture.inputSize), targets: targets, rows: rows)
    }

    /// As `evaluate(input:targets:rows:)`, on samples in their stored type: each worker converts the
    /// rows of its chunk into its own buffer first (Float32 rows without normalisation are read in place).
    ///
    /// - Parameter total: sums of earlier rows to add to, chunk after chunk: evaluating a dataset a
    ///   block of whole chunks at a time gives the bits of evaluating it at once.
    ///
    /// - Parameter first: the row `features` and `targets` start at: a rank that holds only the rows
    ///   it evaluates (`evaluatedRows(of:)`) passes their first; 0 when they hold all `rows`.
    ///
    /// Across processes this is a collective: every rank calls it with the same rows.
    public func evaluate(features: FeatureRows, targets: UnsafePointer<Float>, rows: Int,
                         continuing total: EvaluationSums = EvaluationSums(), heldFrom first: Int = 0) -> EvaluationSums {
        let chunk = Self.chunkRows
        let chunks = (rows + chunk - 1) / chunk
        let owned = Self.chunks(ofRank: ranks.rank, ranks: ranks.size, chunks: chunks)
        var partial = [EvaluationSums](repeating: EvaluationSums(), count: chunks)
        let n = architecture.inputSize, width = targetWidth
        precondition(features.featureCount == n, "samples have \(features.featureCount) features, the network takes \(n)")
        var inPlace: UnsafePointer<Float>?
        if case .float32(let values) = features.values, case .none = features.scaling { inPlace = values }
        let staging = UnsafeMutablePointer<Float>.allocate(capacity: inPlace == nil ? pool.workerCount * chunk * n : 1)
        defer { staging.deallocate() }
        partial.withUnsafeMutableBufferPointer { partial in
            pool.run { worker in
                for c in stride(from: owned.lowerBound + worker, to: owned.upperBound, by: pool.workerCount) {
                    let start = c * chunk, count = min(chunk, rows - start), local = start - first
                    let input: UnsafePointer<Float>
                    if let inPlace {
                        input = inPlace + local * n
                    } else {
                        let buffer = staging + worker * chunk * n
                        features.copyRows(local..<(local + count), into: buffer)
                        input = UnsafePointer(buffer)
                    }
                    partial[c] = sums(pass: passes[worker], input: input, targets: targets + local * width, rows: count)
                }
            }
        }
        if ranks.isDistributed { gatherChunkSums(&partial) }
        return partial.reduce(into: total) { total, part in
            total.rows += part.rows
            total.lossSum += part.lossSum
            total.weightSum += part.weightSum
            total.correct += part.correct
            total.absoluteErrorSum += part.absoluteErrorSum
            total.squaredErrorSum += part.squaredErrorSum
        }
    }

    /// The rows of `rows` whose chunks this rank evaluates: all it needs to hold of them.
    public func evaluatedRows(of rows: Int) -> Range<Int> {
        Self.evaluatedRows(ofRank: ranks.rank, ranks: ranks.size, rows: rows)
    }

    /// The rows of `rows` in the chunks rank `rank` of `ranks` evaluates (an empty range at its
    /// place when it evaluates none).
    public static func evaluatedRows(ofRank rank: Int, ranks: Int, rows: Int) -> Range<Int> {
        let owned = chunks(ofRank: rank, ranks: ranks, chunks: (rows + chunkRows - 1) / chunkRows)
        let start = min(rows, owned.lowerBound * chunkRows)
        return start..<min(rows, max(start, owned.upperBound * chunkRows))
    }

    /// The chunks rank `rank` of `ranks` evaluates: ⌊C·r/R⌋ ..< ⌊C·(r+1)/R⌋.
    static func chunks(ofRank rank: Int, ranks: Int, chunks: Int) -> Range<Int> {
        (chunks * rank / ranks)..<(chunks * (rank + 1) / ranks)
    }

    /// Every rank's chunk sums to every rank, as six Float64s a chunk (the counts are exact in
    /// Float64), in one in-place all-gather. Fails the job, naming this rank, if MPI fails.
    private func gatherChunkSums(_ partial: inout [EvaluationSums]) {
        let fields = 6, chunks = partial.count
        let values = UnsafeMutablePointer<Double>.allocate(capacity: max(chunks * fields, 1))
        defer { values.deallocate() }
        values.initialize(repeating: 0, count: max(chunks * fields, 1))
        for c in Self.chunks(ofRank: ranks.rank, ranks: ranks.size, chunks: chunks) {
            let part = partial[c], place = values + c * fields
            (place[0], place[1], place[2]) = (Double(part.rows), part.lossSum, part.weightSum)
            (place[3], place[4], place[5]) = (Double(part.correct), part.absoluteErrorSum, part.squaredErrorSum)
        }
        let ranges = (0..<ranks.size).map { Self.chunks(ofRank: $0, ranks: ranks.size, chunks: chunks) }
        let counts = ranges.map { Int32($0.count * fields) }, displacements = ranges.map { Int32($0.lowerBound * fields) }
        ranks.orAbort { () throws(TrainingError) in
            try ranks.allgatherInPlace(values, counts: counts, displacements: displacements, type: .double)
        }
        for c in 0..<chunks {
            let place = values + c * fields
            partial[c] = EvaluationSums(rows: Int(place[0]))
            (partial[c].lossSum, partial[c].weightSum, partial[c].correct) = (place[1], place[2], Int(place[3]))
            (partial[c].absoluteErrorSum, partial[c].squaredErrorSum) = (place[4], place[5])
        }
    }

    /// The sums of one chunk of `rows` input rows and their targets.
    private func sums(pass: NetworkPass, input: UnsafePointer<Float>, targets t: UnsafePointer<Float>, rows count: Int) -> EvaluationSums {
        let outputs = architecture.outputSize
        let y = pass.forward(parameters: parameters, input: input, rows: count, skipOutputActivation: loss.fusedActivation != nil)
        var sums = EvaluationSums(rows: count)
        let lossSum = loss.lossSum(outputs: y, targets: t, rows: count, width: outputs, gradient: nil)
        (sums.lossSum, sums.weightSum) = (lossSum.loss, lossSum.weight)
        for r in 0..<count {
            if loss.usesClassIndices {
                if argmax(y + r * outputs, count: outputs) == Int(t[r]) { sums.correct += 1 }
            } else {
                for k in 0..<outputs {
                    let d = Double(y[r * outputs + k] - t[r * outputs + k])
                    sums.absoluteErrorSum += abs(d)
                    sums.squaredErrorSum += d * d
                }
            }
        }
        return sums
    }

    /// The network's outputs (after the output activation: class probabilities for softmax) for
    /// `rows` samples, into `output` (rows × outputSize).
    public func predict(input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        let chunk = Self.chunkRows
        let chunks = (rows + chunk - 1) / chunk
        let features = architecture.inputSize, outputs = architecture.outputSize
        let parameters = parameters
        pool.run { worker in
            for c in stride(from: worker, to: chunks, by: pool.workerCount) {
                let start = c * chunk, count = min(chunk, rows - start)
                let y = passes[worker].forward(parameters: parameters, input: input + start * features, rows: count)
                (output + start * outputs).update(from: y, count: count * outputs)
            }
        }
    }
}
