import Data
import DataParallel
import Optimizers
import Settings

/// The batches of a sweep that ignores epoch boundaries (benchmark, LR finder), in the order
/// training visits them: the sampler's permutations of the data in memory, or the streamed
/// data's two-level window order (epoch 1's steps, then epoch 2's, …), read by one reader thread
/// started here and stopped by `stop`.
final class SweepBatches {
    private let data: LoadedData
    private var sampler: BatchSampler?
    private var streamed: StreamedBatches?
    /// The last epoch a streamed reader reads (it starts at the first step, which names the ranks).
    private let lastEpoch: Int
    /// The exchange of each batch's rows when the ranks share the training rows.
    private var rankRows: BatchRowsExchange?
    private let stepsPerEpoch: Int
    private let batchSize: Int
    private let seed: UInt64
    private var epoch = 1, step = 0

    /// Batches of `batchSize` rows for up to `steps` steps (a streamed reader reads no further).
    init(data: LoadedData, batchSize: Int, seed: UInt64, steps: Int) {
        self.data = data
        stepsPerEpoch = (data.trainingRows + batchSize - 1) / batchSize
        (self.batchSize, self.seed) = (batchSize, seed)
        lastEpoch = 1 + max(steps - 1, 0) / stepsPerEpoch
        if data.stream == nil { sampler = BatchSampler(rows: data.trainingRows, batchSize: batchSize, seed: seed) }
    }

    deinit { streamed?.stop() }

    /// One step of `engine` on the next batch, at the rate and momentum `schedule` gives its next
    /// step; returns the step's result and its batch's row count.
    func trainStep(_ engine: StepEngine, schedule: any LearningRateSchedule) throws(TrainingError) -> (result: StepResult, rows: Int) {
        if streamed == nil, let features = data.stream {
            streamed = StreamedBatches(features, batchSize: batchSize, seed: seed, epoch: 1, step: 0, lastEpoch: lastEpoch,
                                       share: RankShares(rank: engine.ranks.rank, ranks: engine.ranks.size))
        }
        guard let streamed else {
            if let partition = data.partition {  // the ranks share the rows: exchange each batch's
                if rankRows == nil { rankRows = .forPartition(of: data, engine: engine) }
                let (exchange, data) = (rankRows!, data)
                return sampler!.nextBatch { rows, next in
                    (exchange.trainStep(engine, rows: rows, next: next, data: data, partition: partition,
                                        learningRate: schedule.learningRate(atStep: engine.step),
                                        momentum: schedule.momentum(atStep: engine.step)), rows.count)
                }
            }
            let samples = data.train
            return sampler!.nextBatch { (engine.trainStep(on: samples, rows: $0, schedule: schedule), $0.count) }
        }
        let rows = min(streamed.batchSize, streamed.order.rows - step * streamed.batchSize)
        let result = try streamed.withSelection(epoch: epoch, step: step, engine: engine) { selection in
            engine.trainStep(selection: selection, learningRate: schedule.learningRate(atStep: engine.step),
                             momentum: schedule.momentum(atStep: engine.step))
        }
        step += 1
        if step == stepsPerEpoch { (epoch, step) = (epoch + 1, 0) }
        return (result, rows)
    }

    /// Stops the reader thread, if any; returns its line (blocks read, time reading and waiting).
    func stop() -> String? {
        guard let streamed else { return nil }
        streamed.stop()
        return streamed.readerReport
    }
}

extension StreamedBatches {
    /// What the reader did: blocks this rank read, milliseconds a block, seconds on the reader thread, and
    /// the seconds training waited for them; nil before any block was read.
    var readerReport: String? {
        let (blocks, reading, waiting) = statistics
        guard blocks > 0 else { return nil }
        let perBlock = String(format2: reading / Double(blocks) * 1000, 2)
        let who = exchangesRows ? "rank \(share.rank) read \(blocks) blocks (its share of each window's)" : "read \(blocks) blocks"
        return "data: \(who), \(perBlock) ms a block (\(String(format2: reading, 1)) s on the reader thread); training waited \(String(format2: waiting, 1)) s for them"
    }
}
