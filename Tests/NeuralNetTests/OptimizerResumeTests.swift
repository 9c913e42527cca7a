import Foundation
import NeuralNet
import Optimizers
import XCTest

/// Every per-step scalar (bias corrections, Adagrad's decayed rate, NAdam's μ-product) is computed
/// from `step` alone, so stopping after any step and continuing from the saved parameters, state and
/// step — with a freshly made optimizer — reproduces the uninterrupted run bit for bit.
final class OptimizerResumeTests: XCTestCase {
    private let n = 16
    private let totalSteps = 300  // past the step (~150) where NAdam's float32 μ-product underflows to 0

    private func rate(_ step: Int) -> Float { 0.01 * Float(1 + step % 3) }

    /// The gradient at `step`: a fixed pattern that changes sign and size from step to step.
    private func gradient(_ step: Int, _ w: [Float]) -> [Float] {
        w.indices.map { i in Float(i % 5 + 1) * 0.25 * (w[i] - Float(i) * 0.1) + (step % 7 == 3 ? 0.5 : -0.125) }
    }

    private func run(_ optimizer: any Optimizer, from start: Int, to end: Int,
                     parameters: inout [Float], state: inout [Float]) {
        for step in start..<end {
            let g = gradient(step, parameters)
            OptimizerTesting.update(optimizer, parameters: &parameters, gradients: g, state: &state, parameterCount: n,
                                    range: 0..<n, learningRate: rate(step), step: step)
        }
    }

    func testResumingFromSavedParametersStateAndStepIsBitIdentical() {
        let initial = (0..<n).map { Float($0) * 0.3 - 2 }
        for optimizer in OptimizerTesting.catalogue {
            var w = initial, state = [Float](repeating: 0, count: optimizer.stateCount * n)
            run(optimizer, from: 0, to: totalSteps, parameters: &w, state: &state)
            XCTAssertTrue(w.allSatisfy(\.isFinite), "\(optimizer): \(w)")

            for stop in [1, 2, 149, 151] {
                var first = initial, firstState = [Float](repeating: 0, count: optimizer.stateCount * n)
                run(optimizer, from: 0, to: stop, parameters: &first, state: &firstState)
                // "Checkpoint": plain copies of parameters and state; a new optimizer from its settings.
                var resumedParameters = Array(first), resumedState = Array(firstState)
                let resumed = Self.remake(optimizer)
                run(resumed, from: stop, to: totalSteps, parameters: &resumedParameters, state: &resumedState)
                XCTAssertEqual(OptimizerTesting.bits(resumedParameters), OptimizerTesting.bits(w), "\(optimizer) resumed after \(stop)")
                XCTAssertEqual(OptimizerTesting.bits(resumedState), OptimizerTesting.bits(state), "\(optimizer) state resumed after \(stop)")
            }
        }
    }

    /// A new value with the same settings, built through the public initialiser.
    private static func remake(_ optimizer: any Optimizer) -> any Optimizer {
        switch optimizer {
        case let o as SGD: SGD(momentum: o.momentum, weightDecay: o.weightDecay, dampening: o.dampening, nesterov: o.nesterov)
        case let o as RMSprop: RMSprop(alpha: o.alpha, eps: o.eps, weightDecay: o.weightDecay, momentum: o.momentum, centered: o.centered)
        case let o as Adagrad: Adagrad(lrDecay: o.lrDecay, weightDecay: o.weightDecay,
                                       initialAccumulatorValue: o.initialAccumulatorValue, eps: o.eps)
        case let o as Adadelta: Adadelta(rho: o.rho, eps: o.eps, weightDecay: o.weightDecay)
        case let o as Adam: Adam(beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay,
                                 amsgrad: o.amsgrad, decoupledWeightDecay: o.decoupledWeightDecay)
        case let o as Adamax: Adamax(beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay)
        case let o as NAdam: NAdam(beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay,
                                   momentumDecay: o.momentumDecay, decoupledWeightDecay: o.decoupledWeightDecay)
        default: fatalError("unknown optimizer \(optimizer)")
        }
    }

    /// Calling update twice on equal inputs gives equal outputs: no hidden state in the optimizer.
    func testUpdateHasNoHiddenState() {
        for optimizer in OptimizerTesting.catalogue {
            var results: [[UInt32]] = []
            for _ in 0..<2 {
                var w: [Float] = [1, -2, 3], state = [Float](repeating: 0.5, count: optimizer.stateCount * 3)
                OptimizerTesting.update(optimizer, parameters: &w, gradients: [0.1, -0.2, 0.3], state: &state,
                                        parameterCount: 3, range: 0..<3, learningRate: 0.01, step: 5)
                results.append(OptimizerTesting.bits(w + state))
            }
            XCTAssertEqual(results[0], results[1], "\(optimizer)")
        }
    }

    /// Late steps are exact too: at step 10⁶ the bias corrections are 1 and NAdam's μ-product has
    /// long underflowed to 0, so the update reduces to these closed forms (PyTorch's Float ops).
    func testLateStepsUseTheLimitScalars() {
        let step = 1_000_000, t = Double(step + 1), lr: Float = 0.01
        let g: Float = 0.3, m0: Float = 0.05, v0: Float = 0.02, w0: Float = 1.5

        // NAdam: w + (−lr·(1 − μ_t))·g/d + (−lr·μ_{t+1})·m/d with Π = 0.
        let nadam = NAdam()
        func mu(_ t: Double) -> Double { 0.9 * (1.0 - 0.5 * pow(0.96, t * 0.004)) }
        let m = m0.addingProduct(Float(1 - 0.9), g - m0)
        let v = (v0 * Float(0.999)).addingProduct(Float(1 - 0.999) * g, g)
        let d = (v / Float(1 - pow(0.999, t))).squareRoot() + Float(1e-8)
        let afterGradient = w0 + Float(-Double(lr) * (1 - mu(t))) * g / d
        let expected = afterGradient + Float(-Double(lr) * mu(t + 1)) * m / d
        var w = [w0], state = [m0, v0]
        OptimizerTesting.update(nadam, parameters: &w, gradients: [g], state: &state, parameterCount: 1,
                                range: 0..<1, learningRate: lr, step: step)
        XCTAssertEqual(w[0].bitPattern, expected.bitPattern, "NAdam at step \(step): \(w[0]) vs \(expected)")

        // Adam: bias corrections 1 − β^t = 1.
        var wAdam = [w0], adamState = [m0, v0]
        OptimizerTesting.update(Adam(), parameters: &wAdam, gradients: [g], state: &adamState, parameterCount: 1,
                                range: 0..<1, learningRate: lr, step: step)
        let adamExpected = w0 + (-lr) * m / (v.squareRoot() / 1 + Float(1e-8))
        XCTAssertEqual(wAdam[0].bitPattern, adamExpected.bitPattern, "Adam at step \(step)")
    }
}
