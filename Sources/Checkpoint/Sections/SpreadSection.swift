import HDF5
import Settings
import Training

/// How the run was spread over processes, as attributes of /training: `ranks` (int64, 1 for one
/// process) and, for a run across processes, `hosts` (each rank's host, comma-separated, by rank).
/// Not part of the content checksum: it never changes the result. Absent from older checkpoints.
enum SpreadSection {
    static func write(_ spread: RankSpread, to group: Group) throws(HDF5Error) {
        try group.setAttribute("ranks", spread.ranks)
        if !spread.hosts.isEmpty { try group.setAttribute("hosts", spread.hosts.joined(separator: ",")) }
    }

    /// The spread stored in `group`, nil when it records none; refuses a count below 1 or a host
    /// list that does not name one host per rank.
    static func read(_ group: Group, path: String) throws(TrainingError) -> RankSpread? {
        do {
            guard group.hasAttribute("ranks") else { return nil }
            let ranks = try group.intAttribute("ranks")
            let hosts = group.hasAttribute("hosts")
                ? try group.stringAttribute("hosts").split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
            guard ranks >= 1, hosts.isEmpty || hosts.count == ranks else {
                throw TrainingError.checkpoint(path: path, message: "/training: ranks \(ranks) with \(hosts.count) hosts; expected at least 1 rank and one host per rank")
            }
            return RankSpread(ranks: ranks, hosts: hosts)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw .checkpoint(path: path, message: "/training: \(error)")
        }
    }
}
