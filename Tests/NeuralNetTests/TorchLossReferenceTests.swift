import XCTest
import NeuralNet

/// Smooth L1, label-smoothed and class-weighted cross-entropy against PyTorch 2.15 (float64): the
/// batch loss `lossSum.loss / lossSum.weight` and its gradient `∂(lossSum.loss)/∂z / lossSum.weight`
/// against `F.smooth_l1_loss(y, t, beta=β)` and `F.cross_entropy(z, t, weight=w, label_smoothing=ε)`
/// with the default `reduction='mean'` and `z.grad` after `backward()`. The inputs are multiples of
/// 1/8, exact in Float32, so both sides see the same numbers. The literals came from:
///
///     import torch, torch.nn.functional as F
///     z = torch.tensor([[1.5, -0.25, 0.75, 2.0], [-1.0, 0.5, 3.25, 0.125],
///                       [0.0, -2.5, 1.25, -0.5], [2.5, 0.25, -0.75, 1.0]], dtype=torch.float64)
///     t = torch.tensor([3, 2, 0, 2]); w = torch.tensor([0.5, 2.0, 1.25, 3.0], dtype=torch.float64)
///     zz = z.clone().requires_grad_(); l = F.cross_entropy(zz, t, weight=w, label_smoothing=0.2)
///     l.backward(); print(repr(l.item()), zz.grad.flatten().tolist())   # likewise for the others
///     y = torch.tensor([[0.5, -1.75], [2.0, 0.25], [-0.125, 3.0]], dtype=torch.float64)
///     tt = torch.tensor([[0.25, 0.5], [-0.5, 0.375], [0.5, 1.0]], dtype=torch.float64)
///     F.smooth_l1_loss(y, tt, beta=β)  # β = 1, 0.5, 2; equals F.huber_loss(y, tt, delta=β) / β
///
/// Bounds: 1e-6 relative on the loss (float64 per row over Float32 inputs), 1e-5 relative on the
/// gradient (Float32 output) with a floor of 1e-3 of the largest component.
final class TorchLossReferenceTests: XCTestCase {
    private let logits: [Float] = [1.5, -0.25, 0.75, 2.0, -1.0, 0.5, 3.25, 0.125, 0.0, -2.5, 1.25, -0.5, 2.5, 0.25, -0.75, 1.0]
    private let classes: [Float] = [3, 2, 0, 2]
    private let weights: [Float] = [0.5, 2.0, 1.25, 3.0]
    private let outputs: [Float] = [0.5, -1.75, 2.0, 0.25, -0.125, 3.0]
    private let values: [Float] = [0.25, 0.5, -0.5, 0.375, 0.5, 1.0]

    private func assertMatchesTorch(
        _ loss: Loss, outputs: [Float], targets: [Float], width: Int, loss expected: Double, gradient expectedGradient: [Double],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var gradient = [Float](repeating: .nan, count: outputs.count)
        let sums = outputs.withUnsafeBufferPointer { o in
            targets.withUnsafeBufferPointer { t in
                gradient.withUnsafeMutableBufferPointer { g in
                    loss.lossSum(outputs: o.baseAddress!, targets: t.baseAddress!, rows: outputs.count / width, width: width,
                                 gradient: g.baseAddress!)
                }
            }
        }
        assertRelativelyEqual(sums.loss / sums.weight, expected, tolerance: 1e-6, "\(loss.summary) loss", file: file, line: line)
        let scale = expectedGradient.map(abs).max() ?? 0
        for (i, (got, want)) in zip(gradient, expectedGradient).enumerated() {
            assertRelativelyEqual(Double(got) / sums.weight, want, tolerance: 1e-5, floor: 1e-3 * scale,
                                  "\(loss.summary) ∂/∂z[\(i)]", file: file, line: line)
        }
    }

    func testLabelSmoothing() {
        assertMatchesTorch(.softmaxCrossEntropy(options: CrossEntropyOptions(labelSmoothing: 0.1)),
                           outputs: logits, targets: classes, width: 4, loss: 1.5654779076236411, gradient: [
                               0.06962571730994134, 0.006935222609079706, 0.029591151022448733, -0.1061520909414698,
                               -0.0030720602213126676, 0.007992537972335595, -0.008459221402182526, 0.003538743651159566,
                               -0.1829777471116728, -0.0022875721880891682, 0.16223671790958982, 0.023028601390172168,
                               0.17659161715337388, 0.013021364665602877, -0.22416046113620694, 0.034547479317230206,
                           ])
    }

    /// PyTorch divides by Σ w_t = 3 + 1.25 + 0.5 + 1.25 = 6, not by the 4 rows.
    func testClassWeights() {
        let loss = Loss.softmaxCrossEntropy(options: CrossEntropyOptions(classWeights: weights))
        assertMatchesTorch(loss, outputs: logits, targets: classes, width: 4, loss: 1.2494966943909163, gradient: [
            0.1517514346198827, 0.026370445218159413, 0.07168230204489746, -0.24980418188293957,
            0.0026482831489061105, 0.011868781643612995, -0.022674351168485426, 0.008157286375966305,
            -0.0672425823705576, 0.0013208092706369439, 0.05616223930319661, 0.009759533796724056,
            0.15236801429447822, 0.016059470554669063, -0.20242538428017243, 0.033997899431025165,
        ])
        let sums = logits.withUnsafeBufferPointer { o in
            classes.withUnsafeBufferPointer { t in loss.lossSum(outputs: o.baseAddress!, targets: t.baseAddress!, rows: 4, width: 4, gradient: nil) }
        }
        XCTAssertEqual(sums.weight, 6)
    }

    /// With both, PyTorch weights the smoothing term of class k by w_k and divides it by Σ w_t too.
    func testClassWeightsWithLabelSmoothing() {
        assertMatchesTorch(.softmaxCrossEntropy(options: CrossEntropyOptions(labelSmoothing: 0.2, classWeights: weights)),
                           outputs: logits, targets: classes, width: 4, loss: 1.4994014993113858, gradient: [
                               0.1343065174239763, 0.007396364594903801, 0.05499343394930228, -0.19669631596818238,
                               -0.0013330036973371285, -0.003967070308000762, 0.02157177758305393, -0.016271703577716054,
                               -0.047099475663239125, -0.014718472992477173, 0.07242263630554834, -0.010604687649832018,
                               0.15886710862842504, 0.0005169668268292316, -0.17076182784645116, 0.011377752391196929,
                           ])
    }

    /// `smooth_l1_loss` averages over every element, which is the batch mean of the per-row means.
    func testSmoothL1() {
        let cases: [(beta: Float, loss: Double, gradient: [Double])] = [
            (1, 0.9140625, [0.041666666666666664, -0.16666666666666666, 0.16666666666666666,
                            -0.020833333333333332, -0.10416666666666666, 0.16666666666666666]),
            (0.5, 1.0755208333333333, [0.08333333333333333, -0.16666666666666666, 0.16666666666666666,
                                       -0.041666666666666664, -0.16666666666666666, 0.16666666666666666]),
            (2, 0.64453125, [0.020833333333333332, -0.16666666666666666, 0.16666666666666666,
                             -0.010416666666666666, -0.05208333333333333, 0.16666666666666666]),
        ]
        for (beta, loss, gradient) in cases {
            assertMatchesTorch(.smoothL1(beta: beta), outputs: outputs, targets: values, width: 2, loss: loss, gradient: gradient)
        }
    }
}
