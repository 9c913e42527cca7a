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

    /// Across processes, whether to stop: this rank's vote travels with the next step's rows, and
    /// `anyRankVotedStop` is then true on every rank if any rank voted so — every rank stops after
    /// the same step, at no cost of its own collective. For one process, the vote itself.
    public var stopVote: Bool {
        get { exchange?.stopVote ?? localStopVote }
        set { if let exchange { exchange.stopVote = newValue } else { localStopVote = newValue } }
    }

    /// Whether any rank voted to stop in the last step (for one process: `stopVote`).
    public var anyRankVotedStop: Bool { exchange?.anyRankVotedStop ?? localStopVote }

    /// What this rank received from the others within steps so far (zero for one process).
    public var communicationTraffic: CommunicationTraffic { exchange?.traffic ?? CommunicationTraffic() }
}
