import Foundation
import HDF5
import NeuralNet
import Optimizers
import XCTest

/// The state layout each optimizer documents: how many parameter-sized buffers (`stateCount`), what
/// each holds (checked after the first step against its closed form, computed here in Double), that
/// nothing beyond `stateCount·parameterCount` is touched, and that the first step only writes the
/// state (PyTorch creates it lazily), so the caller need not clear it.
final class OptimizerStateLayoutTests: XCTestCase {
    private struct Layout {
        var optimizer: any Optimizer
        var stateCount: Int
        /// Each buffer after the first step from zero state, given the gradient (no weight decay).
        var firstStep: (Double) -> [Double]
    }

    private var layouts: [Layout] {
        [
            Layout(optimizer: SGD(), stateCount: 0) { _ in [] },
            Layout(optimizer: SGD(weightDecay: 0.1), stateCount: 0) { _ in [] },
            // momentum buffer b = g
            Layout(optimizer: SGD(momentum: 0.9, dampening: 0.5), stateCount: 1) { g in [g] },
            Layout(optimizer: SGD(momentum: 0.9, nesterov: true), stateCount: 1) { g in [g] },
            // square average s = (1 − α)g²
            Layout(optimizer: RMSprop(alpha: 0.9), stateCount: 1) { g in [0.1 * g * g] },
            // s, then gradient average ḡ = (1 − α)g
            Layout(optimizer: RMSprop(alpha: 0.9, centered: true), stateCount: 2) { g in [0.1 * g * g, 0.1 * g] },
            // s, then momentum buffer b = g/(√s + ε)
            Layout(optimizer: RMSprop(alpha: 0.9, eps: 1e-3, momentum: 0.5), stateCount: 2) { g in
                [0.1 * g * g, g / ((0.1 * g * g).squareRoot() + 1e-3)]
            },
            // s, ḡ, b = g/(√(s − ḡ²) + ε)
            Layout(optimizer: RMSprop(alpha: 0.9, eps: 1e-3, momentum: 0.5, centered: true), stateCount: 3) { g in
                [0.1 * g * g, 0.1 * g, g / ((0.1 * g * g - 0.01 * g * g).squareRoot() + 1e-3)]
            },
            // sum of squares, starting at the initial accumulator value
            Layout(optimizer: Adagrad(initialAccumulatorValue: 0.25), stateCount: 1) { g in [0.25 + g * g] },
            // square average s = (1 − ρ)g², then accumulated update u = (1 − ρ)Δ², Δ = √ε/√(s + ε)·g
            Layout(optimizer: Adadelta(rho: 0.9, eps: 1e-4), stateCount: 2) { g in
                let s = 0.1 * g * g, delta = (1e-4).squareRoot() / (s + 1e-4).squareRoot() * g
                return [s, 0.1 * delta * delta]
            },
            // m = (1 − β₁)g, v = (1 − β₂)g² (and v̂ = v with amsgrad)
            Layout(optimizer: Adam(beta1: 0.8, beta2: 0.9), stateCount: 2) { g in [0.2 * g, 0.1 * g * g] },
            Layout(optimizer: Adam(beta1: 0.8, beta2: 0.9, amsgrad: true), stateCount: 3) { g in
                [0.2 * g, 0.1 * g * g, 0.1 * g * g]
            },
            Layout(optimizer: Adam.adamW(beta1: 0.8, beta2: 0.9), stateCount: 2) { g in [0.2 * g, 0.1 * g * g] },
            Layout(optimizer: Adam.adamW(beta1: 0.8, beta2: 0.9, amsgrad: true), stateCount: 3) { g in
                [0.2 * g, 0.1 * g * g, 0.1 * g * g]
            },
            // m = (1 − β₁)g, infinity norm u = |g| + ε
            Layout(optimizer: Adamax(beta1: 0.8, eps: 1e-3), stateCount: 2) { g in [0.2 * g, abs(g) + 1e-3] },
            // m = (1 − β₁)g, v = (1 − β₂)g²
            Layout(optimizer: NAdam(beta1: 0.8, beta2: 0.9), stateCount: 2) { g in [0.2 * g, 0.1 * g * g] },
        ]
    }

    func testStateCountAndWhatEachBufferHolds() {
        let n = 7
        let gradient: [Float] = [0.5, -1.5, 2, -0.25, 3, 0.125, -0.75]
        for layout in layouts {
            let optimizer = layout.optimizer
            XCTAssertEqual(optimizer.stateCount, layout.stateCount, "\(optimizer)")
            // NaN in every state slot: the first step must not read them. Sentinels after the
            // documented extent: nothing may touch them.
            let sentinel = Float(-12345.5)
            var state = [Float](repeating: .nan, count: layout.stateCount * n) + [Float](repeating: sentinel, count: 2 * n)
            var w: [Float] = [1, 2, 3, 4, 5, 6, 7]
            OptimizerTesting.update(optimizer, parameters: &w, gradients: gradient, state: &state, parameterCount: n,
                                    range: 0..<n, learningRate: 0.01, step: 0)
            XCTAssertTrue(w.allSatisfy(\.isFinite), "\(optimizer) read the uninitialised state: \(w)")
            XCTAssertTrue(state[(layout.stateCount * n)...].allSatisfy { $0 == sentinel },
                          "\(optimizer) wrote beyond stateCount·parameterCount")
            for i in 0..<n {
                let expected = layout.firstStep(Double(gradient[i]))
                XCTAssertEqual(expected.count, layout.stateCount, "\(optimizer): table")
                for (k, want) in expected.enumerated() {
                    let got = Double(state[k * n + i])
                    XCTAssertEqual(got, want, accuracy: 1e-6 * max(abs(want), 1e-6),
                                   "\(optimizer) buffer \(k) of parameter \(i)")
                }
            }
        }
    }

    /// PyTorch keeps one state tensor per quantity; stateCount follows the options that create them.
    func testStateCountFollowsTheOptions() {
        XCTAssertEqual(SGD(momentum: 0).stateCount, 0)
        XCTAssertEqual(SGD(momentum: 0.5).stateCount, 1)
        XCTAssertEqual(RMSprop().stateCount, 1)
        XCTAssertEqual(RMSprop(centered: true).stateCount, 2)
        XCTAssertEqual(RMSprop(momentum: 0.9).stateCount, 2)
        XCTAssertEqual(RMSprop(momentum: 0.9, centered: true).stateCount, 3)
        XCTAssertEqual(Adagrad().stateCount, 1)
        XCTAssertEqual(Adadelta().stateCount, 2)
        XCTAssertEqual(Adam().stateCount, 2)
        XCTAssertEqual(Adam(amsgrad: true).stateCount, 3)
        XCTAssertEqual(Adam.adamW().stateCount, 2)
        XCTAssertEqual(Adam.adamW(amsgrad: true).stateCount, 3)
        XCTAssertEqual(Adamax().stateCount, 2)
        XCTAssertEqual(NAdam().stateCount, 2)
        XCTAssertEqual(NAdam(weightDecay: 0.1, decoupledWeightDecay: true).stateCount, 2)
    }
}
