import HDF5
import Settings
import Training

extension Setting {
    /// How the command line spells the setting, so expectations read as the user sees them.
    var flag: String { "--" + rawValue.replacingOccurrences(of: "_", with: "-") }
}
