import Data
import DataParallel
import Settings

extension BatchRowsExchange {
    /// The exchange of each batch's input rows for data spread over the engine's ranks (nil when
    /// every rank holds all the training rows).
    static func forPartition(of data: LoadedData, engine: StepEngine) -> BatchRowsExchange? {
        guard let partition = data.partition else { return nil }
        let valueBytes = data.train.rows > 0 ? data.train.matrix.byteCount / data.train.matrix.count : 4
        return BatchRowsExchange(shares: RankShares(rank: engine.ranks.rank, ranks: engine.ranks.size),
                                 totalRows: partition.totalRows, featureCount: data.train.featureCount,
                                 valueBytes: valueBytes, targetWidth: data.train.targetWidth, capacity: engine.maximumBatch)
    }

    /// One step of `engine` on the batch `rows` (global sample indices, the same on every rank):
    /// the ranks first exchange the batch's rows, each contributing those it holds, and the step
    /// then runs on them as one process runs on the whole matrix. With `next`, the batch after it,
    /// that batch's rows travel with this step's parameters (`prefetch`). A collective; like the
    /// step's own exchanges, a failing one aborts the job naming this rank.
    func trainStep(_ engine: StepEngine, rows: UnsafeBufferPointer<Int32>, next: UnsafeBufferPointer<Int32>?,
                   data: LoadedData, partition: RowPartition, learningRate: Float, momentum: Float?) -> StepResult {
        data.train.matrix.withRows { local in
            partition.targets.withUnsafeBufferPointer { targets in
                withBatch(rows, next: next, local: local, targets: targets.baseAddress!, engine: engine) { selection in
                    engine.trainStep(selection: selection, learningRate: learningRate, momentum: momentum)
                }
            }
        }
    }
}

extension Trainer {
    /// A step of a run whose training rows are spread over the ranks.
    func trainPartitionedStep(step: Int, exchange: BatchRowsExchange, partition: RowPartition) -> StepResult {
        let (learningRate, momentum) = (schedule.learningRate(atStep: engine.step), schedule.momentum(atStep: engine.step))
        let (engine, data) = (engine, data)
        let sampler = sampler
        return sampler.withRows(ofStep: step) { rows in
            guard step + 1 < sampler.stepsPerEpoch else {  // the next batch is another epoch's
                return exchange.trainStep(engine, rows: rows, next: nil, data: data, partition: partition,
                                          learningRate: learningRate, momentum: momentum)
            }
            return sampler.withRows(ofStep: step + 1) { next in
                exchange.trainStep(engine, rows: rows, next: next, data: data, partition: partition,
                                   learningRate: learningRate, momentum: momentum)
            }
        }
    }
}
