import ArgumentParser
import Data
import Settings

/// How much memory the training data may take: read whole, or streamed from its file.
struct MemoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        auto: keep the training data in memory when it (and the validation data) fits in half the \
        memory available (under mpirun, this rank's share of its host's), else stream it from its \
        file; or a size (bytes, or with K, M, G: 512M, 2G) to stream it through windows that fit that budget.
        """, valueName: "size"))
    var memoryBudget = "auto"

    func validate() throws {
        guard MemoryRequest(parsing: memoryBudget) != nil else {
            throw ValidationError("\(Setting.memoryBudget.flag) must be auto or a size such as 512M, 2G or 65536 (bytes), got '\(memoryBudget)'")
        }
    }

    /// The request these flags make (`auto` when the text does not parse; `validate` refused that).
    var request: MemoryRequest { MemoryRequest(parsing: memoryBudget) ?? .auto }
}
