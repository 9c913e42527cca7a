import Dispatch
import NeuralNet
import Optimizers

/// The stages of a training step, as `h5train bench` reports them.
public enum Stage: Int, CaseIterable, Sendable {
    /// Copying the shard's rows from the sample matrix (`trainStep(selection:)` only).
    case gather
    /// Products, bias and activation of every layer, and the loss.
    case forward
    /// δ of every layer: products with the weights and the activations' derivatives.
    case backward
    /// ∂W = xᵀ·δ and ∂b = Σ δ of each gradient block, over the whole batch.
    case gradients
    /// Gradient norm, clipping and the optimizer's update of each block.
    case update
}

/// Worker-nanoseconds spent in each stage, summed over all workers.
public struct StageTimes: Sendable, Equatable {
    public var nanoseconds = [UInt64](repeating: 0, count: Stage.allCases.count)

    public subscript(stage: Stage) -> UInt64 { nanoseconds[stage.rawValue] }

    /// Per-stage difference `self − earlier`.
    public func since(_ earlier: StageTimes) -> StageTimes {
        var difference = StageTimes()
        for stage in Stage.allCases { difference.nanoseconds[stage.rawValue] = self[stage] - earlier[stage] }
        return difference
    }
}

/// Per-worker stage timers: each worker adds to its own 64-byte row, so timing takes no lock and
/// shares no cache line. Costs two clock reads per stage and shard or block.
final class StageClock: @unchecked Sendable {
    private static let stride = 8  // UInt64s per worker row: one cache line
    private let workers: Int
    private let slots: UnsafeMutablePointer<UInt64>

    init(workers: Int) {
        self.workers = workers
        slots = .allocate(capacity: workers * Self.stride)
        slots.initialize(repeating: 0, count: workers * Self.stride)
    }

    deinit { slots.deallocate() }

    @inline(__always)
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Adds the time since `start` to `stage` for `worker`; returns now, the next stage's start.
    @inline(__always)
    func record(_ stage: Stage, worker: Int, since start: UInt64) -> UInt64 {
        let end = Self.now()
        slots[worker * Self.stride + stage.rawValue] &+= end &- start
        return end
    }

    /// The totals over all workers (read between steps, when no worker is running).
    var totals: StageTimes {
        var times = StageTimes()
        for worker in 0..<workers {
            for stage in Stage.allCases { times.nanoseconds[stage.rawValue] += slots[worker * Self.stride + stage.rawValue] }
        }
        return times
    }
}
