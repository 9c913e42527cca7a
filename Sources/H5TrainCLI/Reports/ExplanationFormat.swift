import Checkpoint
import Foundation
import Optimizers

/// Number formats of `h5train explain`: the same in every locale.
enum ExplanationFormat {
    /// `535818` → `535,818`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }

    /// `value` to `digits` significant digits, e.g. 0.050507627 → `0.05051`.
    static func significant(_ value: Double, _ digits: Int = 4) -> String {
        String(format: "%.\(digits)g", value)
    }

    /// A hyper-parameter as Swift prints it (0.9, 0.999, 1e-08), without a trailing `.0` on integers
    /// below a million.
    static func plain(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        return "\(value)"
    }

    /// A learning rate: `plain` for round values, else four significant digits.
    static func rate(_ value: Double) -> String {
        let short = significant(value)
        return Double(short) == value ? plain(value) : short
    }

    /// Bytes in megabytes (10⁶ bytes) with two decimals; below 0.1 MB in kilobytes, from 10 GB in
    /// gigabytes.
    static func megabytes(_ bytes: Int) -> String {
        if bytes < 100_000 { return String(format: "%.1f kB", Double(bytes) / 1e3) }
        if bytes >= 10_000_000_000 { return String(format: "%.1f GB", Double(bytes) / 1e9) }
        return String(format: "%.2f MB", Double(bytes) / 1e6)
    }

    /// FLOP counts: grouped digits, plus MFLOP, GFLOP or TFLOP from ten of them.
    static func flop(_ value: Int) -> String {
        let text = grouped(value) + " FLOP"
        if value >= 10_000_000_000_000 { return text + String(format: " (%.1f TFLOP)", Double(value) / 1e12) }
        if value >= 10_000_000_000 { return text + String(format: " (%.1f GFLOP)", Double(value) / 1e9) }
        if value >= 10_000_000 { return text + String(format: " (%.1f MFLOP)", Double(value) / 1e6) }
        return text
    }
}
