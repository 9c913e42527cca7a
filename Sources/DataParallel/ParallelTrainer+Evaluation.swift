import NeuralNet
import Optimizers

extension ParallelTrainer {
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
    }

    /// Loss and accuracy (or regression errors) of the current parameters over `rows` samples,
    /// computed in fixed chunks on all workers and summed in chunk order.
    public func evaluate(input: UnsafePointer<Float>, targets: UnsafePointer<Float>, rows: Int) -> EvaluationSums {
        let chunk = Self.evaluationChunk
        let chunks = (rows + chunk - 1) / chunk
        var partial = [EvaluationSums](repeating: EvaluationSums(), count: chunks)
        let features = architecture.inputSize, width = targetWidth, outputs = architecture.outputSize
        let (parameters, loss) = (UnsafePointer(parameters), loss)
        partial.withUnsafeMutableBufferPointer { partial in
            pool.run { worker in
                let workspace = evaluationWorkspaces[worker]
                for c in stride(from: worker, to: chunks, by: pool.workerCount) {
                    let start = c * chunk, count = min(chunk, rows - start)
                    let y = workspace.forward(parameters: parameters, input: input + start * features,
                                              rows: count, skipOutputActivation: loss.fusedActivation != nil)
                    let t = targets + start * width
                    var sums = EvaluationSums(rows: count)
                    let lossSum = loss.lossSum(outputs: y, targets: t, rows: count, width: outputs, gradient: nil)
                    (sums.lossSum, sums.weightSum) = (lossSum.loss, lossSum.weight)
                    for r in 0..<count {
                        if loss.usesClassIndices {
                            if Self.argmax(y + r * outputs, outputs) == Int(t[r]) { sums.correct += 1 }
                        } else {
                            for k in 0..<outputs {
                                let d = Double(y[r * outputs + k] - t[r * outputs + k])
                                sums.absoluteErrorSum += abs(d)
                                sums.squaredErrorSum += d * d
                            }
                        }
                    }
                    partial[c] = sums
                }
            }
        }
        return partial.reduce(into: EvaluationSums()) { total, part in
            total.rows += part.rows
            total.lossSum += part.lossSum
            total.weightSum += part.weightSum
            total.correct += part.correct
            total.absoluteErrorSum += part.absoluteErrorSum
            total.squaredErrorSum += part.squaredErrorSum
        }
    }

    /// The network's outputs (after the output activation: class probabilities for softmax) for
    /// `rows` samples, into `output` (rows × outputSize).
    public func predict(input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        let chunk = Self.evaluationChunk
        let chunks = (rows + chunk - 1) / chunk
        let features = architecture.inputSize, outputs = architecture.outputSize
        let parameters = UnsafePointer(parameters)
        pool.run { worker in
            for c in stride(from: worker, to: chunks, by: pool.workerCount) {
                let start = c * chunk, count = min(chunk, rows - start)
                let y = evaluationWorkspaces[worker].forward(parameters: parameters, input: input + start * features, rows: count)
                (output + start * outputs).update(from: y, count: count * outputs)
            }
        }
    }

    /// Index of the largest of `n` values (the first one on ties).
    @inline(__always)
    static func argmax(_ values: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for i in 1..<max(n, 1) where values[i] > values[best] { best = i }
        return best
    }
}
