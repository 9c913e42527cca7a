/// A run log (TensorBoard event file) that could not be written.
public struct RunLogError: Error, Sendable, CustomStringConvertible {
    /// The file or folder that could not be written.
    public var path: String
    /// Why, in words.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write TensorBoard events to \(path): \(reason)" }
}
