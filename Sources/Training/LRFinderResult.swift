import DataParallel
import Foundation
import Optimizers

/// The curve of a learning-rate range test and the rates it suggests.
///
/// Both rules look at the smoothed loss, without the first tenth of the planned steps (the loss has
/// barely moved there, and the bias correction is still large) and the last five points (where it
/// blows up), as fastai does:
///
/// - **steepest descent**: the rate where the smoothed loss falls fastest per decade of rate
///   (central differences against log lr, the most negative slope): the loss is still improving
///   quickly there, and the rate is well below where training becomes unstable;
/// - **minimum ÷ 10**: a tenth of the rate at the lowest smoothed loss, the classic rule of thumb
///   (the minimum itself is already at the edge of divergence).
///
/// ``suggestion`` is the steepest descent when the curve has one, else the minimum ÷ 10.
public struct LRFinderResult: Sendable {
    /// How a rate was picked from the curve.
    public enum Rule: String, Sendable {
        case steepestDescent = "steepest descent of the smoothed loss"
        case minimumOverTen = "minimum of the smoothed loss ÷ 10"
    }

    /// A suggested rate, the rule that chose it and the point of the curve it came from.
    public struct Suggestion: Sendable, Equatable {
        public var rate: Double
        public var rule: Rule
        public var point: LRFinderPoint
    }

    /// Every step the sweep ran, in order.
    public var points: [LRFinderPoint]
    /// The step at which the smoothed loss passed 4× its best (or became NaN), if the sweep stopped early.
    public var divergedAtStep: Int?
    /// The steps the sweep would have run without divergence.
    public var plannedSteps: Int
    /// What the reader thread did when the data was streamed (blocks read, time reading and waiting).
    public var readerReport: String?

    public init(points: [LRFinderPoint], divergedAtStep: Int?, plannedSteps: Int) {
        self.points = points
        self.divergedAtStep = divergedAtStep
        self.plannedSteps = plannedSteps
    }

    /// The indices both rules look at: without the first tenth of the planned steps and the last
    /// five points, unless that leaves fewer than three (then all finite points).
    public var consideredRange: Range<Int> {
        let finite = points.prefix { $0.smoothedLoss.isFinite }.count
        let range = min(plannedSteps / 10, finite)..<max(finite - 5, 0)
        return range.count >= 3 ? range : 0..<finite
    }

    /// The point where the smoothed loss falls fastest against log lr; nil if it never falls.
    public var steepest: Suggestion? {
        let range = consideredRange
        guard range.count >= 3 else { return nil }
        var best: (slope: Double, index: Int)?
        for i in range {
            let lower = max(i - 1, range.lowerBound), upper = min(i + 1, range.upperBound - 1)
            let run = log(points[upper].learningRate) - log(points[lower].learningRate)
            guard run > 0 else { continue }
            let slope = (points[upper].smoothedLoss - points[lower].smoothedLoss) / run
            if slope < 0 && slope < (best?.slope ?? 0) { best = (slope, i) }
        }
        return best.map { Suggestion(rate: points[$0.index].learningRate, rule: .steepestDescent, point: points[$0.index]) }
    }

    /// A tenth of the rate at the lowest smoothed loss.
    public var minimumOverTen: Suggestion? {
        let range = consideredRange
        guard let index = range.min(by: { points[$0].smoothedLoss < points[$1].smoothedLoss }) else { return nil }
        return Suggestion(rate: points[index].learningRate / 10, rule: .minimumOverTen, point: points[index])
    }

    /// The suggested rate: ``steepest`` if the curve falls anywhere, else ``minimumOverTen``.
    public var suggestion: Suggestion? { steepest ?? minimumOverTen }

    /// The curve as CSV: `step,lr,loss,smoothed_loss`, one row per step.
    public var csv: String {
        var text = "step,lr,loss,smoothed_loss\n"
        for point in points {
            text += "\(point.step),\(point.learningRate),\(point.loss),\(point.smoothedLoss)\n"
        }
        return text
    }
}
