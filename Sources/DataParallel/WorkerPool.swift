import Dispatch
import Foundation

/// A fixed number of workers that run one phase of work at a time on Dispatch's thread pool.
///
/// `run` hands every worker index 0..<workerCount to `DispatchQueue.concurrentPerform` and returns
/// when all have finished: one synchronisation per phase, no queues or locks inside the phase.
public struct WorkerPool: Sendable {
    public let workerCount: Int

    /// - Parameter workers: how many workers; must be at least 1 (validated by callers for user input).
    public init(workers: Int) {
        precondition(workers >= 1, "a worker pool needs at least one worker")
        workerCount = workers
    }

    /// The number of cores this process may use now: the default worker count.
    public static var activeCores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs `body(worker)` for every worker in parallel and waits for all of them.
    ///
    /// Contract: the calls for different workers must write disjoint memory (their own workspace,
    /// their own shards, their own parameter slice) and only read memory no call writes. That is
    /// what the training step guarantees by construction, and what `swift test --sanitize=thread`
    /// checks. Under that contract it is safe to share the body's captured buffers across threads,
    /// which is the one place this module vouches for sendability the compiler cannot see.
    public func run(_ body: (_ worker: Int) -> Void) {
        if workerCount == 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let shared = body
            DispatchQueue.concurrentPerform(iterations: workerCount) { worker in shared(worker) }
        }
    }

    /// The part of `0..<count` worker `worker` owns when the range is split into `workerCount`
    /// contiguous slices whose boundaries are multiples of `alignment` (except the end).
    public func slice(of count: Int, worker: Int, alignment: Int = 16) -> Range<Int> {
        let blocks = (count + alignment - 1) / alignment
        let start = min(count, (blocks * worker / workerCount) * alignment)
        let end = min(count, (blocks * (worker + 1) / workerCount) * alignment)
        return start..<end
    }
}
