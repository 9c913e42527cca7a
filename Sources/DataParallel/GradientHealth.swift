import NeuralNet
import Optimizers

/// What to do when a step's loss or gradient is NaN or infinite.
public enum NonFinitePolicy: String, Sendable, CaseIterable {
    /// Stop training with a message naming the step, the layer and the last finite loss.
    case stop
    /// Leave the parameters as they were, count the step as skipped, and go on with the next batch.
    case skip
}

/// Gradient clipping and the non-finite policy of a run.
public struct GradientHealthSettings: Sendable, Equatable {
    /// Rescale the whole gradient to this global L2 norm when it is larger (PyTorch's
    /// `clip_grad_norm_`: factor max_norm / (norm + 1e-6), at most 1).
    public var clipNorm: Float?
    /// Clamp every gradient value to [−clipValue, clipValue] (PyTorch's `clip_grad_value_`),
    /// before the norm is taken.
    public var clipValue: Float?
    public var onNonFinite: NonFinitePolicy = .stop

    public init(clipNorm: Float? = nil, clipValue: Float? = nil, onNonFinite: NonFinitePolicy = .stop) {
        self.clipNorm = clipNorm
        self.clipValue = clipValue
        self.onNonFinite = onNonFinite
    }

    /// Whether the global norm must be known before any parameter changes: clipping by norm, or
    /// skipping a step whose gradient is not finite. Otherwise gradients and updates are fused.
    var needsNormBeforeUpdate: Bool { clipNorm != nil || onNonFinite == .skip }
}

extension GradientBlock {
    /// Clamps this block's gradient values to ±`limit` (when given; NaN stays NaN, so it is still
    /// detected) and returns the sum of their squares (weights and biases), eight lanes at a time in
    /// a fixed order.
    @inline(__always)
    func prepareGradient(_ gradient: UnsafeMutablePointer<Float>, clampingTo limit: Float?) -> Double {
        func prepare(_ range: Range<Int>) -> Double {
            let base = gradient + range.lowerBound
            guard let limit else { return sumOfSquares(base, count: range.count) }
            var squares = Lanes()
            @inline(__always) func group(_ i: Int, _ n: Int) {
                var g = loadLanes(base, i, n)
                g = g.replacing(with: limit, where: g .> limit).replacing(with: -limit, where: g .< -limit)
                storeLanes(g, base, i, n)
                squares += g * g
            }
            forEachLaneGroup(range.count, group)
            return Double(squares.sum())
        }
        return prepare(weightRange) + prepare(biasRange)
    }

    /// Multiplies this block's gradient by `factor`.
    @inline(__always)
    func scaleGradient(_ gradient: UnsafeMutablePointer<Float>, by factor: Float) {
        func scale(_ range: Range<Int>) {
            let base = gradient + range.lowerBound
            @inline(__always) func group(_ i: Int, _ n: Int) { storeLanes(loadLanes(base, i, n) * factor, base, i, n) }
            forEachLaneGroup(range.count, group)
        }
        scale(weightRange)
        scale(biasRange)
    }
}
