/// How a run was spread over processes: how many ranks mpirun started (1 for one process) and each
/// rank's host. Recorded in checkpoints for people reading them; it never changes the result, and
/// a run resumes with any other spread.
public struct RankSpread: Sendable, Equatable {
    /// The processes of the run (mpirun's ranks), at least 1.
    public var ranks: Int
    /// Each rank's host name, by rank; empty for one process (its host is not recorded).
    public var hosts: [String]

    public init(ranks: Int, hosts: [String]) {
        (self.ranks, self.hosts) = (ranks, hosts)
    }

    /// Each host once, in rank order.
    public var distinctHosts: [String] {
        var seen: [String] = []
        for host in hosts where !seen.contains(host) { seen.append(host) }
        return seen
    }

    /// "2 ranks × 1 worker on vm", "1 process × 4 workers".
    public func describe(workers: Int) -> String {
        let processes = ranks == 1 ? "1 process" : "\(ranks) ranks"
        let on = hosts.isEmpty ? "" : " on " + distinctHosts.joined(separator: ", ")
        return "\(processes) × \(workers) worker\(workers == 1 ? "" : "s")\(on)"
    }
}
