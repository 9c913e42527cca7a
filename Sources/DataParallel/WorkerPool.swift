import Dispatch
import Foundation
import Optimizers
import Synchronization

/// One phase of parallel work, as an object the pool can hand to its workers without allocating
/// (a closure would need an escaping copy of its context on every phase).
public protocol WorkerTask: AnyObject {
    /// Does worker `worker`'s share of the phase.
    func run(worker: Int)
}

/// A fixed set of workers that run one phase of work at a time: `run(body)` calls `body(w)` for every
/// worker index w in parallel and returns when all calls have finished.
///
/// Worker 0 is the calling thread; workers 1..<N are long-lived blocks started on Dispatch queues
/// when the pool is created. Each worker always runs its own index, so a phase's work is really split
/// N ways. (`DispatchQueue.concurrentPerform` lets the caller take every iteration when the other
/// threads wake up later than a ~1 ms phase lasts, which serialised the training step.) Between phases
/// a worker spins briefly on the phase counter — steps follow each other within microseconds — and
/// then sleeps on a semaphore. One synchronisation per phase, no locks, nothing allocated per phase.
/// Beyond `maximumHelperThreads` helpers, a helper thread runs several worker indices one after the
/// other (see there), so any worker count runs and the result does not change.
public final class WorkerPool: @unchecked Sendable {
    public let workerCount: Int
    private let shared: SharedState

    /// - Parameter workers: how many workers; must be at least 1 (validated by callers for user input).
    public init(workers: Int) {
        precondition(workers >= 1, "a worker pool needs at least one worker")
        workerCount = workers
        let threads = min(workers - 1, Self.maximumHelperThreads)
        shared = SharedState(helpers: threads, workers: workers, spin: workers <= Self.activeCores)
        for thread in 0..<threads {
            let state = shared
            DispatchQueue(label: "h5train.worker.\(thread + 1)", qos: .userInitiated).async {
                state.workerLoop(thread: thread)
            }
        }
    }

    /// The most helper threads one pool starts. libdispatch on Linux runs at most 255 threads at once
    /// for the queues our helpers use (measured here: of 256 blocks that wait forever, 255 start and
    /// the 256th never does), and a helper blocks its thread for the pool's whole life, so a pool of
    /// 256 or more workers waited forever for a helper that never started. Rather than refuse large
    /// counts, the pool keeps to half that pool — leaving room for a second pool and for Dispatch's
    /// own work, such as the signal handlers — and lets each thread run several worker indices in
    /// turn. Each index still runs exactly once per phase, so results stay bit-identical; workers
    /// beyond the cores only add scheduling anyway.
    public static let maximumHelperThreads = 127

    deinit {
        shared.stop()
    }

    /// The number of cores this process may use now: the default worker count.
    public static var activeCores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs `body(worker)` for every worker in parallel and waits for all of them.
    ///
    /// Contract: the calls for different workers must write disjoint memory (their own workspace rows,
    /// their own parameter blocks) and only read memory no call writes. That is what the training step
    /// guarantees by construction, and what ThreadSanitizer checks. Under that contract
    /// it is safe to share the body's captured buffers across threads: this is the one place the module
    /// vouches for sendability the compiler cannot see. Calls to `run` itself must not overlap.
    public func run(_ body: (_ worker: Int) -> Void) {
        guard workerCount > 1 else {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            run(ClosureTask(escapable))
        }
    }

    /// Runs `task.run(worker:)` for every worker in parallel and waits for all of them, allocating
    /// nothing: the training step's phases use this form. The contract of `run(_:)` applies.
    public func run(_ task: some WorkerTask) {
        guard workerCount > 1 else {
            task.run(worker: 0)
            return
        }
        shared.begin(task)
        task.run(worker: 0)
        shared.finish()
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

/// How a thread waits for a flag another thread sets: spin for a while, then sleep on a semaphore.
///
/// The waiter announces `sleeping` before its last check; the setter, after publishing, takes the
/// announcement and signals only if it was there. With sequentially consistent atomics either the
/// waiter sees the new value or the setter sees the announcement, so no wake-up is lost and no
/// signal is left over.
private final class Wakeup: Sendable {
    private let sleeping = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    /// Waits until `ready()` is true.
    func wait(spin: Bool, until ready: () -> Bool) {
        if spin {
            for _ in 0..<200_000 where ready() { return }
        }
        while !ready() {
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if ready() {
                if !sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                    semaphore.wait()  // the setter took the announcement and signalled: consume it
                }
                return
            }
            semaphore.wait()
        }
    }

    /// Call after making `ready()` true.
    func wake() {
        if sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            semaphore.signal()
        }
    }
}

/// What the caller and the helper workers share. Helpers keep it alive, not the pool, so the pool
/// can be released (and stop its helpers) while they are blocked.
private final class SharedState: @unchecked Sendable {
    private let phase = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let helperWakeups: [Wakeup]
    private let callerWakeup = Wakeup()
    private let spin: Bool
    /// Worker indices in all (the caller's 0 included); helper thread t runs 1 + t, 1 + t + H, …
    private let workers: Int
    /// The current phase's task; written by the caller before `phase` is bumped, read by the helpers
    /// after they see the new phase.
    private nonisolated(unsafe) var task: (any WorkerTask)?

    init(helpers: Int, workers: Int, spin: Bool) {
        helperWakeups = (0..<helpers).map { _ in Wakeup() }
        self.workers = workers
        self.spin = spin
    }

    func begin(_ work: any WorkerTask) {
        task = work
        unfinished.store(helperWakeups.count, ordering: .sequentiallyConsistent)
        phase.add(1, ordering: .sequentiallyConsistent)
        helperWakeups.forEach { $0.wake() }
    }

    func finish() {
        callerWakeup.wait(spin: spin) { unfinished.load(ordering: .sequentiallyConsistent) == 0 }
        task = nil
    }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        phase.add(1, ordering: .sequentiallyConsistent)
        helperWakeups.forEach { $0.wake() }
    }

    func workerLoop(thread: Int) {
        var seen = 0
        let wakeup = helperWakeups[thread]
        while true {
            wakeup.wait(spin: spin) { phase.load(ordering: .sequentiallyConsistent) != seen }
            seen = phase.load(ordering: .sequentiallyConsistent)
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            for index in stride(from: 1 + thread, to: workers, by: helperWakeups.count) { runBody(index) }
            if unfinished.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 {
                callerWakeup.wake()
            }
        }
    }

    /// Runs the task in its own frame, so this worker holds no reference to it once it reports.
    @inline(never)
    private func runBody(_ index: Int) {
        task?.run(worker: index)
    }
}

/// A closure as a task, for phases where one allocation per call does not matter (evaluation).
private final class ClosureTask: WorkerTask {
    private let body: (Int) -> Void
    init(_ body: @escaping (Int) -> Void) { self.body = body }
    func run(worker: Int) { body(worker) }
}
