import DataParallel
import Foundation
import HDF5
import Optimizers
import Training

/// Python source literals for the lines the exporters print.
enum PythonLiteral {
    /// A float32 value with 9 significant digits: Python reads it as a double that rounds back to
    /// exactly this float32 (9 digits are always enough, and the double lands far from any
    /// float32 rounding boundary).
    static func float(_ value: Float) -> String {
        let text = String(format: "%.9g", Double(value))
        return text.contains(where: { $0 == "." || $0 == "e" || $0 == "n" || $0 == "i" }) ? text : text + ".0"
    }

    /// `values` as a Python list of floats, `perLine` to a line, indented by `indent` spaces.
    static func floatList(_ values: [Float], indent: Int, perLine: Int = 8) -> String {
        guard !values.isEmpty else { return "[]" }
        let pad = String(repeating: " ", count: indent + 4)
        let rows = stride(from: 0, to: values.count, by: perLine).map { start in
            pad + values[start..<min(start + perLine, values.count)].map(float).joined(separator: ", ") + ","
        }
        return "[\n" + rows.joined(separator: "\n") + "\n" + String(repeating: " ", count: indent) + "]"
    }

    /// `text` as a Python string literal (single quotes, backslash escapes).
    static func string(_ text: String) -> String {
        var result = "'"
        for character in text {
            switch character {
            case "\\": result += "\\\\"
            case "'": result += "\\'"
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result + "'"
    }
}
