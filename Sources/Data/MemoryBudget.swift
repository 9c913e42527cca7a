import Foundation
import HDF5
import NeuralNet
import Settings

/// How much memory this process may use, and the up-front refusal of models and datasets that cannot
/// fit in it: one line with the size in bytes, instead of an allocation that aborts the process (or
/// a size computation that overflows and traps) after the data was read.
public enum MemoryBudget {
    /// The smaller of the physical memory and the cgroup's memory limit, in bytes.
    public static let available: Int = {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        return min(physical, cgroupLimit() ?? Int.max)
    }()

    /// The tightest memory limit of this process's cgroups (v2 `memory.max`, v1
    /// `memory.limit_in_bytes`), if any is set.
    public static func cgroupLimit() -> Int? {
        var files = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, fields[2] != "/" else { continue }
            if fields[0] == "0" {
                files += ["/sys/fs/cgroup\(fields[2])/memory.max", "/sys/fs/cgroup/unified\(fields[2])/memory.max"]
            } else if fields[1].split(separator: ",").contains("memory") {
                files.append("/sys/fs/cgroup/memory\(fields[2])/memory.limit_in_bytes")
            }
        }
        let limits = files.compactMap { path -> Int? in
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return limits.filter { $0 > 0 }.min()
    }

    /// The product of `factors`, or nil when it overflows an Int.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// The sum of `terms`, or nil when it overflows an Int.
    public static func sum(_ terms: [Int]) -> Int? {
        var result = 0
        for term in terms {
            let (next, overflow) = result.addingReportingOverflow(term)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// `bytes` as "68,719,476,736 bytes (64.0 GiB)"; nil (an overflow) as "more than 2⁶³ bytes".
    public static func describe(_ bytes: Int?) -> String {
        guard let bytes else { return "more than 9,223,372,036,854,775,807 bytes" }
        var digits = String(bytes), grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits = String(digits.dropLast(3))
        }
        return "\(digits)\(grouped) bytes (\(String(format2: Double(bytes) / 1_073_741_824, 1)) GiB)"
    }

    /// What this machine allows, for messages.
    public static var limitText: String { "the \(describe(available)) of memory this machine allows" }
}

extension MemoryBudget {
    /// Refuses a dataset of `shape` whose values, read as `type` (Float32 unless given), overflow or
    /// cannot fit in memory.
    public static func checkDataset(shape: [Int], as type: (name: String, bytes: Int) = ("float32", MemoryLayout<Float>.size),
                                    file: String, dataset: String) throws(TrainingError) {
        let bytes = product(shape + [type.bytes])
        guard let bytes, bytes <= available else {
            throw .invalidData(file: file, dataset: dataset, message: "of shape \(shape) needs \(describe(bytes)) of memory as \(type.name), more than \(limitText); use a smaller dataset or a machine with more memory")
        }
    }
}

extension MemoryBudget {
    /// Refuses a run whose total optimizer steps (`epochs` × `stepsPerEpoch`) overflow an Int.
    public static func checkStepCount(epochs: Int, stepsPerEpoch: Int) throws(TrainingError) {
        guard product([epochs, stepsPerEpoch, 2]) != nil else {
            throw .invalidSetting(.epochs, "\(epochs) epochs × \(stepsPerEpoch) steps is more steps than can be counted")
        }
    }
}


extension MemoryBudget {
    /// Refuses predicting `rows` rows of `outputs` values each when they cannot be held in memory.
    public static func checkPredictions(rows: Int, outputs: Int, file: String, dataset: String) throws(TrainingError) {
        let bytes = product([rows, outputs, MemoryLayout<Float>.size])
        guard let bytes, bytes <= available else {
            throw .invalidData(file: file, dataset: dataset, message: "has \(rows) rows; their \(outputs) outputs each need \(describe(bytes)) of memory, more than \(limitText); predict a part of the rows at a time")
        }
    }
}
