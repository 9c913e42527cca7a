import Foundation
@testable import NeuralNet
import NeuralNet
import XCTest

/// Inverted dropout: mask statistics, determinism, and the gradient through a mask.
final class DropoutTests: XCTestCase {
    func testMaskDropsAboutPAndScalesTheRest() {
        let key = DropoutKey(seed: 42, step: 7)
        let p: Float = 0.3, rows = 400, columns = 250
        let source = [Float](repeating: 2, count: rows * columns)
        var out = [Float](repeating: -1, count: rows * columns)
        key.apply(to: &out, from: source, firstRow: 0, rows: rows, columns: columns, layer: 1, probability: p)
        let dropped = out.filter { $0 == 0 }.count
        let fraction = Double(dropped) / Double(out.count)
        // 100,000 Bernoulli(0.3) draws: standard error 0.00145; allow 5 of them.
        XCTAssertEqual(fraction, 0.3, accuracy: 0.0073)
        XCTAssertTrue(out.allSatisfy { $0 == 0 || $0 == 2 / (1 - p) })
        let mean = out.reduce(0.0) { $0 + Double($1) } / Double(out.count)
        XCTAssertEqual(mean, 2, accuracy: 0.03, "inverted dropout keeps the expectation")
    }

    func testMaskDependsOnlyOnItsCoordinates() {
        let key = DropoutKey(seed: 1, step: 3), p: Float = 0.5
        let source = (0..<(10 * 6)).map { Float($0 + 1) }
        var whole = [Float](repeating: 0, count: 60), split = [Float](repeating: 0, count: 60)
        key.apply(to: &whole, from: source, firstRow: 0, rows: 10, columns: 6, layer: 0, probability: p)
        split.withUnsafeMutableBufferPointer { out in
            source.withUnsafeBufferPointer { src in
                key.apply(to: out.baseAddress!, from: src.baseAddress!, firstRow: 0, rows: 4, columns: 6, layer: 0, probability: p)
                key.apply(to: out.baseAddress! + 24, from: src.baseAddress! + 24, firstRow: 4, rows: 6, columns: 6, layer: 0, probability: p)
            }
        }
        XCTAssertEqual(whole, split, "a shard's rows get the masks they would get in the whole batch")
        var again = [Float](repeating: 0, count: 60), nextStep = again
        key.apply(to: &again, from: source, firstRow: 0, rows: 10, columns: 6, layer: 0, probability: p)
        DropoutKey(seed: 1, step: 4).apply(to: &nextStep, from: source, firstRow: 0, rows: 10, columns: 6, layer: 0, probability: p)
        XCTAssertEqual(whole, again)
        XCTAssertNotEqual(whole, nextStep, "every step draws new masks")
    }

    /// ∂(Σ loss)/∂parameters through a dropout mask against float64 central differences of an
    /// independent forward pass using the same mask factors (bound: 1e-3 relative).
    func testGradientThroughDropoutMatchesFiniteDifferences() {
        let architecture = NetworkArchitecture(inputs: 4, hidden: [5], hiddenActivation: .tanh, outputs: 3,
                                               outputActivation: .identity, dropout: 0.4)
        let key = DropoutKey(seed: 9, step: 2), rows = 6
        var rng = Xoshiro256(seed: 3)
        let parameters = (0..<architecture.parameterCount).map { _ in Float(rng.nextStandardNormal() * 0.7) }
        let x = (0..<(rows * 4)).map { _ in Float(rng.nextStandardNormal()) }
        let t = (0..<(rows * 3)).map { _ in Float(rng.nextStandardNormal()) }
        let workspace = NetworkPass(architecture: architecture, capacity: rows)
        var analytic = [Float](repeating: 0, count: architecture.parameterCount)
        _ = workspace.gradients(parameters: parameters, input: x, targets: t, rows: rows, loss: .meanSquaredError,
                                into: &analytic, dropout: key)

        func loss(_ p: [Double]) -> Double {
            let hidden = architecture.layers[0], output = architecture.layers[1]
            let scale = 1 / (1 - hidden.dropout)
            var total = 0.0
            for r in 0..<rows {
                var h = [Double](repeating: 0, count: 5)
                for u in 0..<5 {
                    var z = p[architecture.biasOffset(0) + u]
                    for i in 0..<4 { z += p[i * 5 + u] * Double(x[r * 4 + i]) }  // W₀ is 4 × 5
                    h[u] = Foundation.tanh(z) * Double(key.factor(row: r, layer: 0, unit: u, probability: hidden.dropout, scale: scale))
                }
                for k in 0..<3 {
                    var y = p[architecture.biasOffset(1) + k]
                    for u in 0..<output.inputs { y += p[architecture.weightOffsets[1] + u * 3 + k] * h[u] }  // W₁ is 5 × 3
                    total += (y - Double(t[r * 3 + k])) * (y - Double(t[r * 3 + k])) / 3
                }
            }
            return total
        }
        let base = parameters.map(Double.init)
        let largest = analytic.map { abs(Double($0)) }.max() ?? 1
        for i in base.indices {
            var plus = base, minus = base
            plus[i] += 1e-6
            minus[i] -= 1e-6
            let numeric = (loss(plus) - loss(minus)) / 2e-6
            XCTAssertEqual(Double(analytic[i]), numeric, accuracy: 1e-3 * max(abs(numeric), 1e-3 * largest), "parameter \(i)")
        }
        var withoutDropout = [Float](repeating: 0, count: architecture.parameterCount)
        _ = workspace.gradients(parameters: parameters, input: x, targets: t, rows: rows, loss: .meanSquaredError,
                                into: &withoutDropout)
        XCTAssertNotEqual(analytic, withoutDropout, "the mask must change the gradient")
    }
}
