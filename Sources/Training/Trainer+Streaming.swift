import Data
import DataParallel
import Optimizers
import Settings

extension Trainer {
    /// One optimizer step on step `step` of `epoch`: rows of the data in memory in the sampler's
    /// order, or of the streamed data's resident windows in the two-level order.
    func trainStep(epoch: Int, step: Int) throws(TrainingError) -> StepResult {
        if let partition = data.partition {
            if rankRows == nil { rankRows = .forPartition(of: data, engine: engine) }
            return trainPartitionedStep(step: step, exchange: rankRows!, partition: partition)
        }
        guard let features = data.stream else {
            return sampler.withRows(ofStep: step) { engine.trainStep(on: data.train, rows: $0, schedule: schedule) }
        }
        if streamed == nil {
            streamed = StreamedBatches(features, batchSize: configuration.batchSize, seed: configuration.seed,
                                       epoch: epoch, step: step, lastEpoch: configuration.epochs,
                                       share: RankShares(rank: engine.ranks.rank, ranks: engine.ranks.size))
        }
        let (stepEngine, rates) = (engine, schedule)
        return try streamed!.withSelection(epoch: epoch, step: step, engine: stepEngine) { selection in
            stepEngine.trainStep(selection: selection, learningRate: rates.learningRate(atStep: stepEngine.step),
                                 momentum: rates.momentum(atStep: stepEngine.step))
        }
    }

    /// Loss and quality on the validation data, in memory or read a block at a time; nil without any.
    func evaluateValidation() throws(TrainingError) -> Evaluation? {
        if let validation = data.validation {
            return Evaluation(predictor: engine.predictor, samples: validation, part: data.validationPart)
        }
        guard let samples = data.streamedValidation else { return nil }
        return try Evaluation.blockwise(samples, predictor: engine.predictor)
    }

    /// Stops a streamed run's reader (after the run, or when it fails or stops early).
    func stopStreaming() {
        guard let streamed else { return }
        streamed.stop()
        if let report = streamed.readerReport { observer.note(SettingText(report)) }
        self.streamed = nil
    }
}
