import DataParallel
import Synchronization

/// A request, from another thread (a signal handler), that training stop at the next step boundary
/// and save its state. The training loop polls it once per step.
public final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    /// Asks the run to stop; returns false if a stop had already been asked for.
    @discardableResult
    public func request() -> Bool {
        !requested.exchange(true, ordering: .sequentiallyConsistent)
    }

    public var isRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }
}
