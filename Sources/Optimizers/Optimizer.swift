import Foundation
import NeuralNet

/// An update rule applied element-wise to flat parameter, gradient and state buffers.
///
/// State lives in `stateCount` buffers of `parameterCount` floats each, stored back to back in one
/// allocation (`state[k·parameterCount + i]` is state k of parameter i). `update` touches only the
/// indices in `range`, so the aggregator can split one step over all workers: each element's update
/// depends on nothing but that element, so the result is the same however the range is split.
///
/// Every per-step scalar (bias corrections, NAdam's μ-product, Adagrad's decayed rate) is a function
/// of `step` alone, never of mutable state hidden in the optimizer, so a run resumed from saved
/// parameters, state and step continues bit for bit as if it had never stopped. On the first step
/// (`step == 0`) the state buffers are not read, only written, exactly as PyTorch creates its state
/// lazily on the first step: the caller need not clear them.
///
/// The conforming types reproduce `torch.optim` (PyTorch 2.x, default single-tensor CPU path) down to
/// the order of operations: per-step scalars in Double as Python computes them, converted to Float
/// where PyTorch hands them to a float32 kernel, and the element loop in Float.
///
/// Two deliberate differences, both in the last bits (agreement with torch.optim stays within 1e-6
/// relative): multiply-adds are rounded twice (a·b, then + c) where PyTorch's AVX2/AVX-512 kernels
/// fuse them, and `Float.squareRoot()` is correctly rounded where PyTorch's CPU `sqrt` (Intel MKL's
/// `vsSqrt`) is off by one ulp for about a fifth of its inputs. Unfused arithmetic is the same on every
/// CPU, so results do not depend on the processor's FMA support, and on SwiftPM's default x86-64
/// target it is one instruction each instead of a call to the C library's `fmaf` (which made the
/// update loops several times slower).
public protocol Optimizer: Sendable, CustomStringConvertible {
    /// The command-line name: "sgd", "adam", "adamw", ….
    var name: String { get }

    /// How many parameter-sized state buffers the rule keeps (momentum: 1, Adam: 2, plain SGD: 0).
    var stateCount: Int { get }

    /// Applies one step to `parameters[range]` given the batch-mean gradient.
    ///
    /// Allocates nothing, reads `gradients`, `parameters` and the state only at indices in `range`
    /// (state buffer k at `k·parameterCount + i`), and writes only there.
    ///
    /// - Parameters:
    ///   - step: the global optimizer step, 0 for the first update (PyTorch's t is step + 1).
    ///   - learningRate: the schedule's rate for this step.
    func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount: Int,
        range: Range<Int>, learningRate: Float, step: Int
    )

    /// This optimizer with its momentum term set to `momentum` for one step, as one-cycle and cyclic
    /// schedules ask (PyTorch sets SGD's and RMSprop's `momentum`, and β₁ of the Adam family).
    /// Optimizers without a momentum term, or SGD configured without momentum (it keeps no momentum
    /// buffer), return themselves.
    func cyclingMomentum(_ momentum: Float) -> Self

    /// `update`, and Σ g² over `range` of the gradient as given (`sumOfSquares`, the same value
    /// bit for bit) — for the gradient norm, measured in the pass that reads the gradient anyway.
    func updateMeasuring(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount: Int,
        range: Range<Int>, learningRate: Float, step: Int
    ) -> Double
}

extension Optimizer {
    public func cyclingMomentum(_ momentum: Float) -> Self { self }

    /// Measures, then updates: two passes. Optimizers whose loop is cheap fuse the two instead.
    public func updateMeasuring(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        state: UnsafeMutablePointer<Float>, parameterCount: Int,
        range: Range<Int>, learningRate: Float, step: Int
    ) -> Double {
        let squares = sumOfSquares(gradients + range.lowerBound, count: range.count)
        update(parameters: parameters, gradients: gradients, state: state, parameterCount: parameterCount,
               range: range, learningRate: learningRate, step: step)
        return squares
    }
}

/// The Adam family, whose momentum term is the first-moment decay β₁: one-cycle and cyclic
/// schedules cycle β₁, as PyTorch's do.
public protocol FirstMomentOptimizer: Optimizer {
    var beta1: Double { get set }
}

extension FirstMomentOptimizer {
    public func cyclingMomentum(_ momentum: Float) -> Self {
        var copy = self
        copy.beta1 = Double(momentum)
        return copy
    }
}

// MARK: - PyTorch's element kernels, operation for operation

/// a·b + c with two roundings, where PyTorch's AVX2/AVX-512 kernels fuse the multiply-add of
/// `add(alpha:)`, `addcmul` and `lerp` into one: identical on every CPU, and fast without an
/// FMA-capable compilation target.
///
/// These kernels work on eight lanes (`Lanes`), for the vectorised update loops; each lane runs
/// exactly the scalar operations written here, so the tail of a range (a partly filled vector)
/// and a range split anywhere give the same bits.
@inline(__always)
func multiplyAdd(_ a: Lanes, _ b: Lanes, _ c: Lanes) -> Lanes {
    a * b + c
}

/// `torch.lerp(start, end, weight)` on float32 as PyTorch's CPU kernel computes it:
/// start + weight·(end − start) for |weight| < 0.5, else end − (end − start)·(1 − weight),
/// each one multiply-add.
@inline(__always)
func torchLerp(_ start: Lanes, _ end: Lanes, weight: Float) -> Lanes {
    let difference = end - start
    return abs(weight) < 0.5
        ? multiplyAdd(Lanes(repeating: weight), difference, start)
        : multiplyAdd(-difference, Lanes(repeating: 1 - weight), end)
}

/// `torch.maximum(a, b)`: the larger value, NaN if either is NaN.
@inline(__always)
func torchMaximum(_ a: Lanes, _ b: Lanes) -> Lanes {
    b.replacing(with: a, where: (a .!= a) .| (a .>= b))
}

/// `self.addcmul_(t, t, value: c)` as PyTorch computes it: (c·t)·t + self.
@inline(__always)
func torchAddSquare(_ value: Lanes, _ t: Lanes, scaledBy c: Float) -> Lanes {
    multiplyAdd(c * t, t, value)
}

/// `self.add_(other, alpha: alpha)` as PyTorch computes it: alpha·other + self (self + other
/// for alpha = 1).
@inline(__always)
func torchAdd(_ value: Lanes, _ other: Lanes, alpha: Float) -> Lanes {
    alpha == 1 ? value + other : multiplyAdd(Lanes(repeating: alpha), other, value)
}

/// |x| per lane: the sign bit cleared, as `abs` does for a Float.
@inline(__always)
func magnitude(_ x: Lanes) -> Lanes {
    unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: Lanes.self)
}

/// The state buffer's lanes at `i`, or zeros on the first step (PyTorch's state starts at zero).
@inline(__always)
func stateLanes(_ buffer: UnsafeMutablePointer<Float>, _ i: Int, _ lanes: Int, first: Bool) -> Lanes {
    first ? Lanes() : loadLanes(buffer, i, lanes)
}

/// The gradient's lanes at `i`, with L2 weight decay added (`grad.add(param, alpha=λ)`) when λ ≠ 0.
@inline(__always)
func gradientLanes(_ gradients: UnsafePointer<Float>, _ i: Int, _ lanes: Int, weights: Lanes, weightDecay lambda: Float) -> Lanes {
    let g = loadLanes(gradients, i, lanes)
    return lambda != 0 ? torchAdd(g, weights, alpha: lambda) : g
}

/// `square_avg.mul_(decay).addcmul_(grad, grad, value=rest)` (rest = 1 − decay) for the lanes at `i`:
/// stores the new running average of g² and returns it.
@inline(__always)
func updateSquareAverage(_ average: UnsafeMutablePointer<Float>, _ i: Int, _ lanes: Int, gradient g: Lanes,
                         decay: Float, rest: Float, first: Bool) -> Lanes {
    let updated = torchAddSquare(stateLanes(average, i, lanes, first: first) * decay, g, scaledBy: rest)
    storeLanes(updated, average, i, lanes)
    return updated
}

/// `x ** y` for Python floats (CPython calls the C library's `pow`).
@inline(__always)
func pythonPower(_ x: Double, _ y: Double) -> Double {
    Foundation.pow(x, y)
}
