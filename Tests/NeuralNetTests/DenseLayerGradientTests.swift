import NeuralNet
import Optimizers
import XCTest

/// `NetworkPass.gradients` for every parameter of small dense networks against float64 central
/// differences of `Reference.networkLossSum` (a forward pass written in the test, independent of
/// NetworkPass and BLAS). Bound: `gradientRelativeTolerance` (1e-3 relative, Float32 analytic vs
/// float64 numerical). Seven rows in a workspace of capacity nine, so the gradient must be the sum
/// over rows and strides must use the row count, not the capacity.
final class DenseLayerGradientTests: XCTestCase {
    private let rows = 7, capacity = 9

    private struct Problem {
        let parameters: [Float]
        let input: [Float]
        let targets: [Float]
    }

    /// Parameters in [−0.8, 0.8] (biases too, so they matter), inputs in [−1.5, 1.5]; class ids cycle
    /// through the outputs, value targets are uniform in the output's range.
    private func problem(_ architecture: NetworkArchitecture, _ loss: Loss, seed: UInt64, rows: Int) -> Problem {
        var rng = TestRNG(seed: seed)
        let parameters = rng.floats(architecture.parameterCount, in: -0.8, 0.8)
        let input = rng.floats(rows * architecture.inputSize, in: -1.5, 1.5)
        let targets: [Float]
        if loss.usesClassIndices {
            targets = (0..<rows).map { Float(($0 * 2 + 1) % architecture.outputSize) }
        } else if loss == .binaryCrossEntropy {
            targets = rng.floats(rows * architecture.outputSize, in: 0, 1)
        } else {
            targets = rng.floats(rows * architecture.outputSize, in: -1, 1)
        }
        return Problem(parameters: parameters, input: input, targets: targets)
    }

    /// Runs `NetworkPass.gradients` into a buffer pre-filled with garbage (it must be overwritten).
    private func moduleGradients(
        _ workspace: NetworkPass, _ problem: Problem, rows: Int, loss: Loss, rowOffset: Int = 0
    ) -> (Double, [Float]) {
        let architecture = workspace.architecture
        var gradients = [Float](repeating: 1e3, count: architecture.parameterCount)
        let targetWidth = loss.usesClassIndices ? 1 : architecture.outputSize
        let sum = problem.parameters.withUnsafeBufferPointer { p in
            problem.input.withUnsafeBufferPointer { x in
                problem.targets.withUnsafeBufferPointer { t in
                    gradients.withUnsafeMutableBufferPointer { g in
                        workspace.gradients(parameters: p.baseAddress!, input: x.baseAddress! + rowOffset * architecture.inputSize,
                                            targets: t.baseAddress! + rowOffset * targetWidth,
                                            rows: rows, loss: loss, into: g.baseAddress!)
                    }
                }
            }
        }
        return (sum, gradients)
    }

    private func check(_ architecture: NetworkArchitecture, _ loss: Loss, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let problem = problem(architecture, loss, seed: seed, rows: rows)
        let parameters = problem.parameters.map(Double.init), input = problem.input.map(Double.init)
        let targets = problem.targets.map(Double.init)

        // Kinks: every hidden pre-activation must be ≥ 1e-3 (1000 h) away from 0 for the relu family.
        let hidden = Reference.forward(architecture, parameters: parameters, input: input).preactivations.dropLast().joined()
        XCTAssertGreaterThan(hidden.map(abs).min() ?? 1, 1e-3, "test point too close to a kink", file: file, line: line)

        let workspace = NetworkPass(architecture: architecture, capacity: capacity)
        let (sum, analytic) = moduleGradients(workspace, problem, rows: rows, loss: loss)
        let reference = Reference.networkLossSum(architecture, parameters: parameters, input: input, targets: targets, loss: loss)
        assertRelativelyEqual(sum, reference, tolerance: 1e-5, "\(loss) loss sum", file: file, line: line)

        let numerical = centralDifferenceGradient(of: {
            Reference.networkLossSum(architecture, parameters: $0, input: input, targets: targets, loss: loss)
        }, at: parameters)
        assertGradientsMatch(analytic: analytic, numerical: numerical, "\(architecture.layers.map(\.activation)) \(loss)", file: file, line: line)
    }

    private func classifier(_ hidden: Activation) -> NetworkArchitecture {
        NetworkArchitecture(inputs: 5, hidden: [4, 3], hiddenActivation: hidden, outputs: 3, outputActivation: .softmax)
    }

    private func regressor(_ hidden: Activation, output: Activation) -> NetworkArchitecture {
        NetworkArchitecture(inputs: 5, hidden: [4, 3], hiddenActivation: hidden, outputs: 3, outputActivation: output)
    }

    func testTanhClassifierWithCrossEntropy() { check(classifier(.tanh), .softmaxCrossEntropy, seed: 31) }
    func testSigmoidClassifierWithCrossEntropy() { check(classifier(.sigmoid), .softmaxCrossEntropy, seed: 32) }
    func testReLUClassifierWithCrossEntropy() { check(classifier(.relu), .softmaxCrossEntropy, seed: 41) }
    func testLeakyReLUClassifierWithCrossEntropy() { check(classifier(.leakyReLU(slope: 0.1)), .softmaxCrossEntropy, seed: 42) }
    func testTanhRegressorWithMeanSquaredError() { check(regressor(.tanh, output: .identity), .meanSquaredError, seed: 35) }
    /// A non-fused output activation: the backward pass must go through the sigmoid's derivative.
    func testSigmoidOutputWithMeanSquaredError() { check(regressor(.relu, output: .sigmoid), .meanSquaredError, seed: 36) }
    func testHuberRegressor() { check(regressor(.tanh, output: .identity), .huber(delta: 0.5), seed: 37) }
    func testMultiLabelWithBinaryCrossEntropy() { check(regressor(.tanh, output: .sigmoid), .binaryCrossEntropy, seed: 38) }
    func testSingleLayerSoftmaxRegression() {
        check(NetworkArchitecture(inputs: 5, hidden: [], hiddenActivation: .relu, outputs: 3, outputActivation: .softmax),
              .softmaxCrossEntropy, seed: 39)
    }

    /// The gradient of a 7-row call is the sum of the seven 1-row gradients (not their mean), and so is the loss.
    func testBatchGradientIsSumOfRowGradients() {
        let architecture = classifier(.tanh)
        let problem = problem(architecture, .softmaxCrossEntropy, seed: 40, rows: rows)
        let workspace = NetworkPass(architecture: architecture, capacity: capacity)
        let (batchSum, batch) = moduleGradients(workspace, problem, rows: rows, loss: .softmaxCrossEntropy)
        var lossTotal = 0.0, total = [Double](repeating: 0, count: architecture.parameterCount)
        for r in 0..<rows {
            let (sum, gradient) = moduleGradients(workspace, problem, rows: 1, loss: .softmaxCrossEntropy, rowOffset: r)
            lossTotal += sum
            for i in total.indices { total[i] += Double(gradient[i]) }
        }
        assertRelativelyEqual(batchSum, lossTotal, tolerance: 1e-6, "loss sum")
        let scale = total.map(abs).max()!
        for i in total.indices {
            assertRelativelyEqual(Double(batch[i]), total[i], tolerance: 1e-5, floor: scale, "parameter \(i)")
        }
    }

    /// The data-parallel path: `backpropagateDeltas` on disjoint row shards, then `parameterGradients`
    /// for every `GradientBlock` (the 40-input output layer cut into 16 + 16 + 8 rows), in reverse order,
    /// with scale 1/rows, must give the batch-mean gradient: 1/7 of the float64 finite differences.
    private func checkShardedMeanGradient(_ loss: Loss, output: Activation, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let architecture = NetworkArchitecture(inputs: 5, hidden: [40], hiddenActivation: .tanh, outputs: 3, outputActivation: output)
        let blocks = architecture.gradientBlocks(targetWeights: 16 * 5)
        XCTAssertEqual(blocks.filter { $0.layer == 1 }.map(\.inputs), [0..<16, 16..<32, 32..<40], file: file, line: line)
        let problem = problem(architecture, loss, seed: seed, rows: rows)
        let workspace = NetworkPass(architecture: architecture, capacity: capacity)
        var gradients = [Float](repeating: 1e3, count: architecture.parameterCount)
        var lossSum = 0.0
        problem.parameters.withUnsafeBufferPointer { p in
            problem.input.withUnsafeBufferPointer { x in
                problem.targets.withUnsafeBufferPointer { t in
                    for shard in [0..<2, 2..<3, 3..<7] {
                        lossSum += workspace.backpropagateDeltas(parameters: p.baseAddress!, input: x.baseAddress!, targets: t.baseAddress!,
                                                                 rows: shard, loss: loss).loss
                    }
                    gradients.withUnsafeMutableBufferPointer { g in
                        for block in blocks.reversed() {
                            workspace.parameterGradients(input: x.baseAddress!, batchRows: rows, block: block, scale: 1 / Float(rows),
                                                         into: g.baseAddress!)
                        }
                    }
                }
            }
        }
        let parameters = problem.parameters.map(Double.init), input = problem.input.map(Double.init)
        let targets = problem.targets.map(Double.init)
        let reference = Reference.networkLossSum(architecture, parameters: parameters, input: input, targets: targets, loss: loss)
        assertRelativelyEqual(lossSum, reference, tolerance: 1e-5, "\(loss) loss sum over shards", file: file, line: line)
        let numerical = centralDifferenceGradient(of: {
            Reference.networkLossSum(architecture, parameters: $0, input: input, targets: targets, loss: loss)
        }, at: parameters)
        assertGradientsMatch(analytic: gradients, numerical: numerical.map { $0 / Double(rows) }, "\(loss) sharded mean gradient",
                             file: file, line: line)
    }

    func testShardedClassifierGivesTheMeanGradient() { checkShardedMeanGradient(.softmaxCrossEntropy, output: .softmax, seed: 42) }
    /// Value targets are `outputSize` wide, so a shard's targets start at row·outputSize.
    func testShardedRegressorGivesTheMeanGradient() { checkShardedMeanGradient(.meanSquaredError, output: .identity, seed: 43) }

    /// `forward` (with and without the output activation) against the float64 reference.
    func testForwardMatchesReference() {
        let architecture = classifier(.sigmoid)
        let problem = problem(architecture, .softmaxCrossEntropy, seed: 41, rows: rows)
        let (_, expected) = Reference.forward(architecture, parameters: problem.parameters.map(Double.init), input: problem.input.map(Double.init))
        let logits = Reference.forward(architecture, parameters: problem.parameters.map(Double.init), input: problem.input.map(Double.init)).preactivations.last!
        let workspace = NetworkPass(architecture: architecture, capacity: capacity)
        for (skip, want) in [(false, expected), (true, logits)] {
            let got = problem.parameters.withUnsafeBufferPointer { p in
                problem.input.withUnsafeBufferPointer { x in
                    Array(UnsafeBufferPointer(start: workspace.forward(parameters: p.baseAddress!, input: x.baseAddress!, rows: rows,
                                                                       skipOutputActivation: skip),
                                              count: rows * 3))
                }
            }
            for i in want.indices {
                assertRelativelyEqual(Double(got[i]), want[i], tolerance: 1e-5, floor: 1e-3, "skip=\(skip) output \(i)")
            }
        }
    }
}
