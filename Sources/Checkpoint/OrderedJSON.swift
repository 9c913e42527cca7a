import Optimizers
import Settings
import Training

/// A JSON value whose objects keep their members in the order they were built, so that output meant
/// for people and scripts (e.g. inspect's JSON) has a stable, logical key order.
public indirect enum OrderedJSON: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case unsigned(UInt64)
    /// A real number; NaN and ±infinity, which JSON cannot express, are written as `null`.
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    /// Members in order; keys should be unique.
    case object([(String, OrderedJSON)])

    /// The value of the member `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> OrderedJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The value as JSON text: objects and arrays of objects over several lines, indented by two
    /// spaces per level; arrays of plain values on one line.
    public func rendered(indentation: String = "") -> String {
        let inner = indentation + "  "
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .unsigned(let value): return String(value)
        case .number(let value): return value.isFinite ? "\(value)" : "null"
        case .string(let value): return Self.quoted(value)
        case .array(let values):
            guard !values.isEmpty else { return "[]" }
            if values.allSatisfy(\.isPlain) {
                return "[" + values.map { $0.rendered() }.joined(separator: ", ") + "]"
            }
            return "[\n" + values.map { inner + $0.rendered(indentation: inner) }.joined(separator: ",\n") + "\n\(indentation)]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            return "{\n" + members.map { key, value in inner + Self.quoted(key) + ": " + value.rendered(indentation: inner) }
                .joined(separator: ",\n") + "\n\(indentation)}"
        }
    }

    /// Neither an array nor an object.
    private var isPlain: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
