import DataParallel
import Settings

/// The memory `--memory-budget auto` plans with: what this host allows (the cgroup's limit or the
/// physical memory), shared equally among the ranks mpirun started on it, so that R ranks on one
/// host together plan at most what one process alone would.
///
/// Across hosts every rank must make the same choice (in memory or streamed, and the window shape,
/// which fixes the sample order), so the ranks agree on the smallest share of any of them.
public struct MemoryShare: Sendable, Equatable {
    /// Bytes this host allows.
    public var available: Int
    /// The processes sharing them (mpirun's ranks on this host), at least 1.
    public var localRanks: Int
    /// The rank and host whose share this is when it is another rank's (the smallest of the job);
    /// nil for this process's own.
    public var holder: (rank: Int, host: String)? {
        get { holderRank.map { ($0, holderHost) } }
        set { (holderRank, holderHost) = (newValue?.rank, newValue?.host ?? "") }
    }
    private var holderRank: Int?
    private var holderHost = ""

    public init(available: Int, localRanks: Int, holder: (rank: Int, host: String)? = nil) {
        (self.available, self.localRanks) = (available, max(localRanks, 1))
        self.holder = holder
    }

    /// This process's share: the host's memory over the ranks mpirun started on it (1 without mpirun).
    public static var thisProcess: MemoryShare {
        MemoryShare(available: MemoryBudget.available, localRanks: Communicator.localRanks)
    }

    /// The bytes to plan with.
    public var bytes: Int { available / localRanks }

    /// What `bytes` is, for the start-up line: "the memory available (7.8 GiB)", "this rank's share
    /// (1/2) of the memory available (7.8 GiB)".
    public var text: SettingText {
        let memory = MemoryBudget.short(available)
        switch (holder, localRanks) {
        case (nil, 1): return "the memory available (\(memory))"
        case (nil, _): return "this rank's share (1/\(localRanks)) of the memory available (\(memory))"
        case (let holder?, 1): return "the memory available to rank \(holder.rank) on \(holder.host) (\(memory)), the least of any rank's"
        case (let holder?, _):
            return "rank \(holder.rank)'s share (1/\(localRanks)) of the memory available on \(holder.host) (\(memory)), the least of any rank's"
        }
    }

    /// The share every rank plans with, among `shares` (by rank): the smallest, the lowest rank's on a tie.
    public static func smallest(_ shares: [MemoryShare]) -> (rank: Int, share: MemoryShare) {
        precondition(!shares.isEmpty, "no shares to choose from")
        var best = 0
        for rank in shares.indices where shares[rank].bytes < shares[best].bytes { best = rank }
        return (best, shares[best])
    }

    /// The share all `ranks` agree on (one collective; every rank must call it at the same point):
    /// this process's own for one process, else the smallest of any rank's.
    public static func agreed(by ranks: Communicator, own: MemoryShare = .thisProcess) throws(TrainingError) -> MemoryShare {
        guard ranks.isDistributed else { return own }
        var record: [UInt8] = []
        for value in [own.available, own.localRanks] {
            withUnsafeBytes(of: UInt64(value).littleEndian) { record += $0 }
        }
        let shares = try ranks.allgather(record).map { bytes in
            let words = (0..<2).map { word in (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[word * 8 + $1]) << (8 * UInt64($1)) } }
            return MemoryShare(available: Int(clamping: words[0]), localRanks: Int(clamping: words[1]))
        }
        var (rank, agreed) = smallest(shares)
        if agreed.bytes < own.bytes { agreed.holder = (rank, ranks.hostNames[rank]) } else { agreed = own }
        return agreed
    }
}
