@testable import Checkpoint
@testable import Data
@testable import DataParallel
import Foundation
import HDF5
@testable import NeuralNet
@testable import Optimizers
@testable import Settings
@testable import Training
@testable import H5TrainCLI
import XCTest

/// `Explanation.lines`, the text of `h5train explain`, from settings and shapes alone (named
/// Explain… so that `swift test --filter Explain` runs it with the command's end-to-end tests).
final class ExplainOutputTests: XCTestCase {
    /// 784-512-256-10 ReLU, SGD with the default momentum.
    private func mnistConfiguration() -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.hidden = [512, 256]
        configuration.workers = 2
        return configuration
    }

    private let mnist = DataShape(inputs: 784, outputs: 10, task: .classification)

    private func text(_ configuration: TrainingConfiguration, _ shape: DataShape? = nil, stepsPerEpoch: Int? = nil) throws -> String {
        try Explanation.lines(configuration: configuration, shape: shape ?? mnist, stepsPerEpoch: stepsPerEpoch).joined(separator: "\n")
    }

    private func assertContains(_ text: String, _ part: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(text.contains(part), "missing “\(part)” in:\n\(text)", file: file, line: line)
    }

    func testNetworkCountsParametersFLOPAndMemory() throws {
        let text = try text(mnistConfiguration())
        assertContains(text, "784 → 512 → 256 → 10")
        assertContains(text, "layer 1: 784→512 relu")
        assertContains(text, "401,920 parameters (401,408 weights + 512 biases)")
        assertContains(text, "256→10 softmax")
        assertContains(text, "total: 535,818 parameters")
        assertContains(text, "forward 1,070,080 FLOP")
        assertContains(text, "training (forward + backward) 2,407,424 FLOP")
        assertContains(text, "batch 128): 308,150,272 FLOP")
        // 535,818 × 4 bytes, once for the parameters and once for SGD's momentum buffer.
        assertContains(text, "parameters 2.14 MB (Float32) + sgd state 2.14 MB (1 buffer) = 4.29 MB")
    }

    func testHeNormalStandardDeviationForEachLayer() throws {
        let text = try text(mnistConfiguration())
        let sigma = String(format: "%.4g", (2.0 / 784).squareRoot())
        XCTAssertEqual(sigma, "0.05051")
        assertContains(text, "layer 1 (784→512): He normal (he_normal): N(0, 2/n) = N(0, 2/784) → σ = \(sigma)")
        assertContains(text, "layer 2 (512→256): He normal (he_normal): N(0, 2/n) = N(0, 2/512) → σ = 0.0625")
        assertContains(text, "layer 3 (256→10): Glorot (normalised Xavier) uniform (glorot_uniform): U[−a, a], a = √(6/(n + m)) = √(6/(256 + 10)) → a = 0.1502")
    }

    func testFormulasOfActivationAndFusedLoss() throws {
        let text = try text(mnistConfiguration())
        assertContains(text, "ReLU: y = max(0, z); dy/dz = 1 if z > 0 else 0")
        assertContains(text, "softmax fused into the cross-entropy")
        assertContains(text, "log-sum-exp")
        assertContains(text, "∂ℓ/∂z = softmax(z) − onehot(t)")
    }

    func testSGDRuleWithMomentum() throws {
        let text = try text(mnistConfiguration())
        assertContains(text, "optimizer: SGD with momentum")
        assertContains(text, "b ← g on the first step, else b ← μ·b + (1 − dampening)·g")
        assertContains(text, "w ← w − lr·b")
        assertContains(text, "values: lr 0.05, momentum μ 0.9, dampening 0, nesterov off, weight decay λ 0")
        assertContains(text, "h5train's defaults: lr 0.05 (PyTorch 0.001), momentum μ 0.9 (PyTorch 0)")
        assertContains(text, "state: 1 parameter-sized buffer (momentum b)")
    }

    func testAdamShowsItsHyperParametersAsPyTorchDefaults() throws {
        var configuration = mnistConfiguration()
        configuration.optimizer.kind = .adam
        let text = try text(configuration)
        assertContains(text, "values: lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-08, weight decay λ 0, amsgrad off")
        assertContains(text, "PyTorch's defaults: all of them")
        assertContains(text, "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²")
        assertContains(text, "state: 2 parameter-sized buffers (first moment m, second moment v)")
        assertContains(text, "adam state 4.29 MB (2 buffers)")
    }

    func testChangedHyperParameterIsListedAsSet() throws {
        var configuration = mnistConfiguration()
        configuration.optimizer.kind = .adamw
        configuration.optimizer.beta2 = 0.99
        let text = try text(configuration)
        assertContains(text, "w ← w·(1 − lr·λ)")
        assertContains(text, "weight decay λ 0.01")
        assertContains(text, "set by flags: β₂ 0.99 (PyTorch 0.999)")
    }

    func testOneCycleShowsItsPeakOverTheRun() throws {
        var configuration = mnistConfiguration()
        configuration.schedule.kind = ScheduleKind(rawValue: "onecycle")!
        configuration.learningRate = 0.1
        configuration.epochs = 3
        let text = try text(configuration, stepsPerEpoch: 469)
        assertContains(text, "schedule: onecycle")
        assertContains(text, "run: 3 epochs × 469 steps = 1,407 optimizer steps")
        // Initial rate 0.1/25, peak 0.1 at step ⌈0.3·1407 − 1⌉ ≈ 421, final 0.004/1e4.
        assertContains(text, "lr: first 0.004 (step 0), peak 0.1 (step 421, epoch 1), last 4e-07 (step 1,406)")
        assertContains(text, "momentum: first 0.95 (step 0), lowest 0.85")
    }

    func testScheduleWithoutStepsPerEpochAsksForThem() throws {
        var configuration = mnistConfiguration()
        configuration.schedule.kind = ScheduleKind(rawValue: "cosine")!
        let text = try text(configuration)
        assertContains(text, "lr(k) = η_min + (lr − η_min)·(1 + cos(π·k/T_max))/2")
        assertContains(text, "give --data or --steps-per-epoch")
    }

    func testStepsPerEpochComeFromTheTrainingRows() throws {
        let shape = DataShape(inputs: 64, outputs: 10, task: .classification, trainingRows: 1437)
        var configuration = TrainingConfiguration()
        configuration.schedule.kind = ScheduleKind(rawValue: "cosine")!
        let text = try text(configuration, shape)
        assertContains(text, "run: 10 epochs × 12 steps = 120 optimizer steps")  // ⌈1437 / 128⌉ = 12
    }

    func testHealthParallelismAndDeterminism() throws {
        var configuration = mnistConfiguration()
        configuration.health = GradientHealthSettings(clipNorm: 1, onNonFinite: .skip)
        let text = try text(configuration)
        assertContains(text, "g ← g·min(1, M/(‖g‖₂ + 1e-6)), M = 1,")
        assertContains(text, "skip the step")
        assertContains(text, "2 workers")
        assertContains(text, "2 micro-shards of ≤ 64 rows")
        assertContains(text, "bit-for-bit identical for any --workers")
    }

    func testDropoutIsExplained() throws {
        var configuration = mnistConfiguration()
        XCTAssertFalse(try text(configuration).contains("dropout"))
        configuration.dropout = 0.5
        assertContains(try text(configuration), "dropout: p = 0.5 on each hidden layer's output while training: y ← y·d/(1 − p)")
    }

    func testStepActivationIsRefused() {
        var configuration = mnistConfiguration()
        configuration.activation = .step
        XCTAssertThrowsError(try Explanation.lines(configuration: configuration, shape: mnist)) { error in
            guard case .invalidSetting(let setting, _) = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(setting, .activation)
        }
    }

    func testWhatTrainRefusesIsRefused() {
        var configuration = mnistConfiguration()
        configuration.loss = .meanSquaredError  // class labels with a regression loss
        XCTAssertThrowsError(try Explanation.lines(configuration: configuration, shape: mnist))
        let small = DataShape(inputs: 4, outputs: 2, task: .classification, trainingRows: 100)
        XCTAssertThrowsError(try Explanation.lines(configuration: TrainingConfiguration(), shape: small)) { error in
            XCTAssertEqual((error as? TrainingError)?.exitStatus, 64)  // batch 128 > 100 rows
        }
        XCTAssertThrowsError(try Explanation.lines(configuration: TrainingConfiguration(), shape: mnist, stepsPerEpoch: 0))
        XCTAssertThrowsError(try Explanation.lines(configuration: TrainingConfiguration(), shape: DataShape(inputs: 4, outputs: 1, task: .classification)))
    }

    func testSymmetricInitialisationWarns() throws {
        var configuration = mnistConfiguration()
        configuration.initializer = .zeros
        assertContains(try text(configuration), "warning: zeros gives every unit of a hidden layer the same weights")
        XCTAssertFalse(try text(mnistConfiguration()).contains("warning"))
    }

    func testDeepSigmoidWithSmallInitialisationWarnsOfVanishingGradients() throws {
        var configuration = TrainingConfiguration()
        configuration.hidden = [64, 64, 64, 64, 64]
        configuration.activation = .sigmoid
        assertContains(try text(configuration), "warning: 5 sigmoid hidden layers with this initialisation risk vanishing gradients")
        configuration.activation = .tanh
        XCTAssertFalse(try text(configuration).contains("vanishing"), "tanh with Glorot keeps the gradient's scale")
        configuration.initializer = .normal(mean: 0, std: 0.01)
        assertContains(try text(configuration), "warning: 5 tanh hidden layers")
        configuration.hidden = [64, 64, 64, 64]
        XCTAssertFalse(try text(configuration).contains("vanishing"), "fewer than 5 hidden layers")
    }
}
