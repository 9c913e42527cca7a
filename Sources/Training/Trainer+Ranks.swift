import DataParallel
import Settings

extension Trainer {
    /// "2 ranks × " in the start-up line of a run across processes; empty for one process.
    var rankSpread: String {
        engine.ranks.isDistributed ? "\(engine.ranks.size) ranks × " : ""
    }

    /// " on host-a, host-b" (each host once, in rank order) for a run across processes; empty for one.
    var rankHosts: String {
        guard engine.ranks.isDistributed else { return "" }
        var hosts: [String] = []
        for host in engine.ranks.hostNames where !hosts.contains(host) { hosts.append(host) }
        return " on " + hosts.joined(separator: ", ")
    }

    /// Across processes: every rank must train the same run — the same settings, data, position and
    /// model — or their steps would silently mix different things. Each rank's digest of them is
    /// gathered; a rank whose digest differs from rank 0's fails, naming itself. Nothing for one process.
    func checkRanksAgree() throws(TrainingError) {
        let ranks = engine.ranks
        guard ranks.isDistributed else { return }
        var digest = RunDigest()
        digest.add(String(describing: configuration))
        digest.add(fingerprint.description)
        digest.add("\(progress.epoch) \(progress.stepInEpoch) \(engine.step)")
        digest.add(progress.window.map { "streamed in windows of \($0)" } ?? "in memory")  // the sample order
        engine.withParameters { values in
            for value in values { digest.add(value.bitPattern) }
        }
        let all = try ranks.allgather(withUnsafeBytes(of: digest.value.littleEndian) { Array($0) })
        if all[ranks.rank] != all[0] {
            throw ranks.failure("its settings, training data (fingerprint \(fingerprint)) or resumed state differ from rank 0's; every rank must run the same command on the same data")
        }
    }
}

/// FNV-1a, 64 bits: a digest that is the same in every process (Swift's `Hasher` is seeded per process).
struct RunDigest {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte: byte) }
        add(byte: 0)
    }

    mutating func add(_ word: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { add(byte: UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
    }

    @inline(__always)
    private mutating func add(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
}
