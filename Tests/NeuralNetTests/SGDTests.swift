import HDF5
import NeuralNet
import Optimizers
import XCTest

/// `SGD.update` against torch.optim.SGD's documented algorithm, re-implemented here in float64:
///
///     g ← g + λ·w;  b ← g (first step) else μ·b + (1 − dampening)·g;  g ← g + μ·b (Nesterov) else b;  w ← w − η·g
///
/// on f(w) = ½ Σ a_i w_i² (∂f/∂w_i = a_i w_i) for three steps with a different learning rate each.
/// Tolerance 1e-6 relative to max(|w_i|, |w_i at the start|): Float32 rounding over three updates is
/// a few ulps (~1e-7) of the magnitudes that meet in the subtraction.
final class SGDTests: XCTestCase {
    private let curvature: [Float] = [0.5, 1, 1.5, 2, 3, 0.25]
    private let start: [Float] = [1, -2, 0.5, 3, -0.75, 4]
    private let rates: [Float] = [0.1, 0.08, 0.05]

    private struct Trajectory {
        var weights: [[Double]] = []  // after each step
        var buffers: [[Double]] = []  // momentum buffer after each step (empty without momentum)
    }

    private func reference(_ sgd: SGD) -> Trajectory {
        let mu = Double(sgd.momentum), lambda = Double(sgd.weightDecay), dampening = Double(sgd.dampening)
        var w = start.map(Double.init), b = [Double](repeating: 0, count: w.count)
        var trajectory = Trajectory()
        for (step, rate) in rates.enumerated() {
            for i in w.indices {
                var g = Double(curvature[i]) * w[i]
                g += lambda * w[i]
                if mu != 0 {
                    b[i] = step == 0 ? g : mu * b[i] + (1 - dampening) * g
                    g = sgd.nesterov ? g + mu * b[i] : b[i]
                }
                w[i] -= Double(rate) * g
            }
            trajectory.weights.append(w)
            if mu != 0 { trajectory.buffers.append(b) }
        }
        return trajectory
    }

    /// Three steps of the module; the state starts as NaN, so reading the momentum buffer on the first
    /// step (instead of setting it to g) would show.
    private func module(_ sgd: SGD) -> Trajectory {
        var w = start, state = [Float](repeating: .nan, count: max(1, sgd.stateCount * start.count))
        var trajectory = Trajectory()
        for (step, rate) in rates.enumerated() {
            let gradient = zip(curvature, w).map { $0 * $1 }
            gradient.withUnsafeBufferPointer { g in
                w.withUnsafeMutableBufferPointer { p in
                    state.withUnsafeMutableBufferPointer { s in
                        sgd.update(parameters: p.baseAddress!, gradients: g.baseAddress!, state: s.baseAddress!,
                                   parameterCount: start.count, range: 0..<start.count, learningRate: rate, step: step)
                    }
                }
            }
            trajectory.weights.append(w.map(Double.init))
            if sgd.stateCount > 0 { trajectory.buffers.append(Array(state[0..<start.count]).map(Double.init)) }
        }
        return trajectory
    }

    private func check(_ sgd: SGD, file: StaticString = #filePath, line: UInt = #line) {
        let expected = reference(sgd), got = module(sgd)
        XCTAssertEqual(got.buffers.count, expected.buffers.count, "\(sgd): momentum state", file: file, line: line)
        for step in rates.indices {
            for i in start.indices {
                assertRelativelyEqual(got.weights[step][i], expected.weights[step][i], tolerance: 1e-6, floor: Double(abs(start[i])),
                                      "\(sgd) step \(step) w[\(i)]", file: file, line: line)
                if step < expected.buffers.count, step < got.buffers.count {
                    assertRelativelyEqual(got.buffers[step][i], expected.buffers[step][i], tolerance: 1e-6,
                                          floor: Double(abs(start[i] * curvature[i])), "\(sgd) step \(step) b[\(i)]", file: file, line: line)
                }
            }
        }
    }

    func testPlainSGD() { check(SGD()) }
    func testMomentum() { check(SGD(momentum: 0.9)) }
    func testNesterov() { check(SGD(momentum: 0.9, nesterov: true)) }
    func testDampening() { check(SGD(momentum: 0.9, dampening: 0.1)) }
    func testWeightDecay() { check(SGD(weightDecay: 0.01)) }
    func testWeightDecayWithMomentum() { check(SGD(momentum: 0.9, weightDecay: 0.01)) }
    func testWeightDecayWithNesterov() { check(SGD(momentum: 0.9, weightDecay: 0.01, nesterov: true)) }

    /// Worked by hand, independent of the reference above: w₀ = 1, f = ½w², η = 0.1, μ = 0.9.
    ///   momentum: w = 0.9 (b = 1), 0.72 (b = 1.8), 0.486 (b = 2.34)
    ///   Nesterov: w = 0.81 (b = 1), 0.5751 (b = 1.71)
    func testHandWorkedMomentumAndNesterov() {
        func run(_ sgd: SGD, steps: Int) -> [Float] {
            var w: [Float] = [1], b: [Float] = [.nan], path: [Float] = []
            for step in 0..<steps {
                let g = w
                sgd.update(parameters: &w, gradients: g, state: &b, parameterCount: 1, range: 0..<1, learningRate: 0.1, step: step)
                path.append(w[0])
            }
            return path
        }
        let momentum = run(SGD(momentum: 0.9), steps: 3)
        for (got, want) in zip(momentum, [0.9, 0.72, 0.486] as [Float]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        let nesterov = run(SGD(momentum: 0.9, nesterov: true), steps: 2)
        for (got, want) in zip(nesterov, [0.81, 0.5751] as [Float]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
    }

    func testStateCount() {
        XCTAssertEqual(SGD().stateCount, 0)
        XCTAssertEqual(SGD(weightDecay: 0.1).stateCount, 0)
        XCTAssertEqual(SGD(momentum: 0.9).stateCount, 1)
    }

    /// Updating [0, n) in pieces gives bit-identical parameters and state to one whole-range call, and a
    /// call touches nothing outside its range.
    func testSplitRangeIsBitIdenticalToWholeRange() {
        let count = 1000
        var rng = TestRNG(seed: 51)
        let initial = rng.floats(count, in: -2, 2)
        let gradients = (0..<3).map { _ in rng.floats(count, in: -1, 1) }
        let splits: [[Range<Int>]] = [[0..<count], [0..<500, 500..<count], [0..<1, 1..<777, 777..<count]]
        for sgd in [SGD(), SGD(momentum: 0.9, weightDecay: 0.01, dampening: 0.1), SGD(momentum: 0.9, weightDecay: 0.01, nesterov: true)] {
            var results: [([UInt32], [UInt32])] = []
            for ranges in splits {
                var w = initial, state = [Float](repeating: 0, count: count)
                for step in 0..<3 {
                    for range in ranges {
                        let before = w
                        sgd.update(parameters: &w, gradients: gradients[step], state: &state, parameterCount: count,
                                   range: range, learningRate: 0.05, step: step)
                        XCTAssert(w.indices.allSatisfy { range.contains($0) || w[$0].bitPattern == before[$0].bitPattern },
                                  "\(sgd) wrote outside \(range)")
                    }
                }
                results.append((w.map(\.bitPattern), state.map(\.bitPattern)))
            }
            XCTAssertNotEqual(results[0].0, initial.map(\.bitPattern), "\(sgd): parameters did not move")
            for split in 1..<splits.count {
                XCTAssertEqual(results[split].0, results[0].0, "\(sgd) parameters, split \(splits[split])")
                XCTAssertEqual(results[split].1, results[0].1, "\(sgd) state, split \(splits[split])")
            }
        }
    }
}
