/// A learning rate as a pure function of the global optimizer step.
///
/// No hidden counters: the value at step k depends only on k and the schedule's parameters, so a
/// resumed or re-sharded run sees exactly the rates the uninterrupted one would, whatever order the
/// steps are asked for in. Step 0 is the first optimizer update; negative steps are treated as 0.
///
/// Semantics follow PyTorch's `torch.optim.lr_scheduler` with the scheduler stepped once per
/// optimizer step: `learningRate(atStep: k)` is the rate PyTorch's optimizer uses on its (k+1)-th
/// `optimizer.step()`, i.e. the value after k `scheduler.step()` calls. Schedules with an end
/// (``endStep`` not nil) hold their final value for every later step, where PyTorch would keep
/// oscillating (`CosineAnnealingLR`) or raise (`OneCycleLR`): extending a run never reinterprets
/// the steps already trained.
///
/// The schedules added alongside the protocol take `Double` parameters and do their arithmetic in
/// `Double`, in the same order as PyTorch's float64 Python code, rounding to `Float` once at the
/// end; so they agree with PyTorch to Float rounding (≤ 6e-8 relative), and no Float cancellation
/// (e.g. CyclicLR's `1 + k/total − cycle` at large k) can creep in.
///
/// The one stateful schedule, ``PlateauState``, changes only through its explicit
/// ``PlateauState/observe(metric:)``; its whole state is a stored value that can be checkpointed.
public protocol LearningRateSchedule: Sendable, Equatable, CustomStringConvertible {
    /// The learning rate for optimizer step `step` (0 for the first update).
    func learningRate(atStep step: Int) -> Float

    /// The momentum to use at `step` for schedules that cycle it inversely to the rate (cyclic and
    /// one-cycle, as PyTorch's `cycle_momentum`), replacing the optimizer's own; nil (the default)
    /// leaves the optimizer's momentum alone.
    func momentum(atStep step: Int) -> Float?

    /// Whether the rate depends on observations as well as on the step (reduce-on-plateau); such a
    /// schedule's state must be saved with a checkpoint. False by default.
    var isStateful: Bool { get }

    /// The last step at which the value still changes, for schedules with an end (the value is
    /// held from there on); nil (the default) for schedules that go on forever.
    var endStep: Int? { get }
}

extension LearningRateSchedule {
    public func momentum(atStep step: Int) -> Float? { nil }
    public var isStateful: Bool { false }
    public var endStep: Int? { nil }

    /// Whether `other` is a schedule of the same type with equal parameters (and state).
    public func isEqual(to other: any LearningRateSchedule) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}

/// `step` clamped to 0 from below: every schedule treats negative steps as step 0.
@inline(__always)
func nonNegative(_ step: Int) -> Int { max(step, 0) }
