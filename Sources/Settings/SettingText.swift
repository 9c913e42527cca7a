/// Text that may refer to settings: a note or an error message whose references to settings stay
/// structured until the text is shown, so whoever shows it decides how a setting is spelled (the
/// command line as its flag, the library as the setting's name).
///
///     let text: SettingText = "needs validation data (\(.validationX) or \(.validationSplit))"
///     text.rendered { $0.name.uppercased() }   // "needs validation data (VAL_X or VAL_SPLIT)"
public struct SettingText: Sendable, Equatable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    enum Piece: Sendable, Equatable, Hashable {
        case text(String)
        case setting(Setting)
    }

    private(set) var pieces: [Piece]

    /// Plain text without references.
    public init(_ text: String) { pieces = text.isEmpty ? [] : [.text(text)] }

    public init(stringLiteral value: String) { self.init(value) }

    public init(stringInterpolation: StringInterpolation) { pieces = stringInterpolation.pieces }

    /// The text with each setting spelled by `spelling`.
    public func rendered(_ spelling: (Setting) -> String) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): text
            case .setting(let setting): spelling(setting)
            }
        }.joined()
    }

    /// The text with settings shown by name.
    public var description: String { rendered(\.name) }

    public static func + (lhs: SettingText, rhs: SettingText) -> SettingText {
        var joined = lhs.pieces
        for piece in rhs.pieces { joined.appending(piece) }
        return SettingText(pieces: joined)
    }

    private init(pieces: [Piece]) { self.pieces = pieces }

    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { pieces.appending(.text(literal)) }

        /// A reference to a setting.
        public mutating func appendInterpolation(_ setting: Setting) { pieces.appending(.setting(setting)) }

        /// Another text, with its references kept.
        public mutating func appendInterpolation(_ text: SettingText) {
            for piece in text.pieces { pieces.appending(piece) }
        }

        /// Any other value, as `String(describing:)` shows it.
        public mutating func appendInterpolation<Value>(_ value: Value) { pieces.appending(.text(String(describing: value))) }
    }
}

extension [SettingText.Piece] {
    /// Appends `piece`, joining adjacent text so equal texts have equal pieces.
    mutating func appending(_ piece: SettingText.Piece) {
        if case .text(let text) = piece {
            if text.isEmpty { return }
            if case .text(let previous)? = last {
                self[count - 1] = .text(previous + text)
                return
            }
        }
        append(piece)
    }
}
