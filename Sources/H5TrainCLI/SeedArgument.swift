import ArgumentParser
import Checkpoint
import Optimizers

/// Reads `--seed`: a whole number from 0 to 2⁶⁴ − 1. The option parses `.unconditional`ly, so
/// `--seed -1` reaches here and is refused for being negative, rather than read as a flag and
/// reported as a missing value.
func parseSeed(_ text: String) throws -> UInt64 {
    if let seed = UInt64(text) { return seed }
    let range = "a whole number from 0 to \(UInt64.max)"
    if text.hasPrefix("-"), Int64(text) != nil || Double(text) != nil {
        throw ValidationError("negative seeds are not allowed; give \(range)")
    }
    throw ValidationError("give \(range)")
}
