/// What the network learns: class ids, or real-valued targets.
public enum TaskKind: String, Sendable, CaseIterable {
    case classification
    case regression
}
