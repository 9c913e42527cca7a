import Settings

extension StepEngine {
    /// In a run across processes, each rank updates only its own blocks' optimizer state (their
    /// owner's); this brings every owner's state to every rank, so `optimizerStateValues` is whole
    /// (for a checkpoint). A collective: every rank calls it at the same point. Nothing for one process.
    public func gatherOptimizerState() throws(TrainingError) {
        guard let exchange else { return }
        let parameterCount = architecture.parameterCount
        for k in 0..<optimizer.stateCount {
            try exchange.stateExchange.share(optimizerState + k * parameterCount, over: ranks)
        }
    }

    /// Brings every owner's blocks of the last step's gradient to every rank, so `withLastGradient`
    /// is whole (for gradient histograms). A collective; nothing for one process.
    public func gatherLastGradient() throws(TrainingError) {
        guard let exchange else { return }
        try exchange.stateExchange.share(gradient, over: ranks)
    }

    /// What this rank received from the others within steps so far (zero for one process).
    public var communicationTraffic: CommunicationTraffic { exchange?.traffic ?? CommunicationTraffic() }
}
