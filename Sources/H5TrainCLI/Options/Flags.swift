import Checkpoint
import Settings
import Training

extension Setting {
    /// The command line's spelling of the setting: `--` and its name in kebab case.
    var flag: String {
        "--" + rawValue.replacingOccurrences(of: "_", with: "-")
    }
}

extension SettingText {
    /// The text as the command line shows it: settings spelled as flags.
    var withFlags: String { rendered(\.flag) }
}

/// A mistake in how a command was invoked that no single setting owns (for example, flags that
/// contradict a resumed checkpoint). Reported like a usage error: one line, exit status 64.
struct UsageError: Error {
    let message: String
}
