import HDF5
import NeuralNet
import XCTest

/// `init(name: x.description) == x` for every activation, loss and initialiser, plus the documented
/// aliases and rejections.
final class NameParsingTests: XCTestCase {
    func testActivationRoundTrip() {
        let parameterised: [Activation] = [
            .leakyReLU(slope: 0.3), .leakyReLU(slope: 0), .leakyReLU(slope: 1e-5),
            .elu(alpha: 0.5), .elu(alpha: 0), .elu(alpha: 1.7), .elu(alpha: 1e-5),
            .softplus(beta: 2), .softplus(beta: 0.5), .softplus(beta: 1e-5), .softplus(beta: 100),
        ]
        for activation in Activation.all + parameterised {
            XCTAssertEqual(Activation(name: activation.description), activation, "\(activation.description)")
        }
        XCTAssertEqual(Activation.leakyReLU(slope: 0.01).description, "leaky_relu")
    }

    /// Every name in `Activation.all` is distinct, and the new activations print as documented,
    /// parameters only when they differ from PyTorch's defaults.
    func testNewActivationNames() {
        let names = Activation.all.map(\.description)
        XCTAssertEqual(Set(names).count, names.count, "\(names)")
        XCTAssertEqual(Activation.elu(alpha: 1).description, "elu")
        XCTAssertEqual(Activation.elu(alpha: 0.5).description, "elu:0.5")
        XCTAssertEqual(Activation.gelu.description, "gelu")
        XCTAssertEqual(Activation.geluTanh.description, "gelu_tanh")
        XCTAssertEqual(Activation.silu.description, "silu")
        XCTAssertEqual(Activation.softplus(beta: 1).description, "softplus")
        XCTAssertEqual(Activation.softplus(beta: 2).description, "softplus:2.0")
        XCTAssert(Activation.all.allSatisfy { !$0.description.contains(",") }, "checkpoints join activation names with commas")
    }

    func testNewActivationAliasesAndDefaults() {
        XCTAssertEqual(Activation(name: "elu"), .elu(alpha: 1))
        XCTAssertEqual(Activation(name: "ELU:0.25"), .elu(alpha: 0.25))
        XCTAssertEqual(Activation(name: "elu:1"), .elu(alpha: 1))
        XCTAssertEqual(Activation(name: "GELU"), .gelu)
        XCTAssertEqual(Activation(name: "gelu:none"), .gelu)
        XCTAssertEqual(Activation(name: "gelu_tanh"), .geluTanh)
        XCTAssertEqual(Activation(name: "gelu:tanh"), .geluTanh)
        XCTAssertEqual(Activation(name: "silu"), .silu)
        XCTAssertEqual(Activation(name: "Swish"), .silu)
        XCTAssertEqual(Activation(name: "softplus"), .softplus(beta: 1))
        XCTAssertEqual(Activation(name: "softplus:3"), .softplus(beta: 3))
        XCTAssertEqual(Activation(name: "softplus:1e-3"), .softplus(beta: 1e-3))
    }

    /// Malformed or out-of-range parameters, a parameter on a name that takes none, or an empty one.
    func testNewActivationRejections() {
        let bad = [
            "elu:nan", "elu:-1", "elu:inf", "elu:-inf", "elu:abc", "elu:", "elu:1,2", "elu:0.5:1",
            "softplus:-1", "softplus:0", "softplus:-0", "softplus:nan", "softplus:inf", "softplus:1e-40", "softplus:x", "softplus:",
            "gelu:erf", "gelu:", "gelu_tanh:tanh", "silu:1", "swish:2", "swish:", "gelu tanh", "gelutanh", "elu_", "soft_plus",
            "relu:1", "tanh:", "sigmoid:0", "softmax:1", "leaky_relu:",
        ]
        for name in bad {
            XCTAssertNil(Activation(name: name), "\(name) parsed as \(Activation(name: name).map(String.init(describing:)) ?? "")")
        }
    }

    func testActivationAliasesAndRejections() {
        XCTAssertEqual(Activation(name: "linear"), .identity)
        XCTAssertEqual(Activation(name: "LOGISTIC"), .sigmoid)
        XCTAssertEqual(Activation(name: "heaviside"), .step)
        XCTAssertEqual(Activation(name: "leaky_relu"), .leakyReLU(slope: 0.01))
        XCTAssertEqual(Activation(name: "leaky-relu:0.2"), .leakyReLU(slope: 0.2))
        for bad in ["", "gelus", "leaky_relu:-0.1", "leaky_relu:abc", "leaky_relu:inf", "leaky_relu:nan"] {
            XCTAssertNil(Activation(name: bad), bad)
        }
    }

    func testLossRoundTrip() {
        let losses: [Loss] = [.softmaxCrossEntropy, .negativeLogLikelihood, .binaryCrossEntropy, .meanSquaredError,
                              .meanAbsoluteError, .huber(delta: 1), .huber(delta: 0.25), .huber(delta: 3),
                              .smoothL1(beta: 1), .smoothL1(beta: 0.5), .smoothL1(beta: 2.5)]
        for loss in losses {
            XCTAssertEqual(Loss(name: loss.description), loss, "\(loss.description)")
        }
    }

    func testLossAliasesAndRejections() {
        XCTAssertEqual(Loss(name: "CE"), .softmaxCrossEntropy)
        XCTAssertEqual(Loss(name: "mae"), .meanAbsoluteError)
        XCTAssertEqual(Loss(name: "huber"), .huber(delta: 1))
        XCTAssertEqual(Loss(name: "huber:2.5"), .huber(delta: 2.5))
        XCTAssertEqual(Loss(name: "smooth_l1"), .smoothL1(beta: 1))
        XCTAssertEqual(Loss(name: "SmoothL1:0.5"), .smoothL1(beta: 0.5))
        XCTAssertEqual(Loss.smoothL1(beta: 1).description, "smooth_l1")
        XCTAssertEqual(Loss.smoothL1(beta: 0.25).description, "smooth_l1:0.25")
        // Cross-entropy's options have flags of their own: the name is the plain loss's.
        let smoothed = Loss.softmaxCrossEntropy(options: CrossEntropyOptions(labelSmoothing: 0.1, classWeights: [1, 2]))
        XCTAssertEqual(smoothed.description, "cross_entropy")
        XCTAssertEqual(Loss(name: smoothed.description), .softmaxCrossEntropy)
        XCTAssertEqual(Loss.softmaxCrossEntropy.withCrossEntropyOptions(smoothed.crossEntropyOptions!), smoothed)
        XCTAssertEqual(smoothed.summary, "cross_entropy (label smoothing 0.1, class weights [1.0, 2.0]; batch mean Σ w_t·ℓ / Σ w_t)")
        XCTAssertEqual(Loss.softmaxCrossEntropy.summary, "cross_entropy")
        XCTAssertNotEqual(smoothed, .softmaxCrossEntropy)
        for bad in ["", "hinge", "huber:0", "huber:-1", "huber:x", "huber:inf", "smooth_l1:0", "smooth_l1:-1", "smooth_l1:nan", "smooth_l1:x"] {
            XCTAssertNil(Loss(name: bad), bad)
        }
    }

    func testInitializerRoundTrip() {
        let initializers: [Initializer] = [
            .zeros, .constant(0.25), .constant(-1.5), .uniform(-0.2, 0.6), .normal(mean: 0.5, std: 2), .normal(mean: -1, std: 0),
            .lecunNormal, .lecunUniform, .xavierUniform, .glorotUniform, .glorotNormal, .heNormal, .heUniform,
        ]
        for initializer in initializers {
            XCTAssertEqual(Initializer(name: initializer.description), initializer, "\(initializer.description)")
        }
    }

    func testInitializerAliasesAndRejections() {
        XCTAssertEqual(Initializer(name: "xavier"), .xavierUniform)
        XCTAssertEqual(Initializer(name: "glorot"), .glorotUniform)
        XCTAssertEqual(Initializer(name: "kaiming_uniform"), .heUniform)
        XCTAssertEqual(Initializer(name: "he"), .heNormal)
        for bad in ["", "orthogonal", "constant", "uniform:1,0", "uniform:0", "normal:0,-1", "normal:0"] {
            XCTAssertNil(Initializer(name: bad), bad)
        }
    }

    /// Like `Activation(name:)` and `Loss(name:)`, which reject non-finite parameters, an initialiser
    /// name must not smuggle in NaN or infinite weights, nor silently drop a malformed number
    /// ("uniform:a,0,1" is not U[0, 1]).
    func testInitializerRejectsNonFiniteAndMalformedNumbers() {
        for bad in ["constant:nan", "constant:inf", "uniform:-inf,1", "uniform:0,inf", "normal:nan,1", "normal:0,inf",
                    "uniform:a,0,1", "constant:x,0.5", "normal:0,oops,1"] {
            XCTAssertNil(Initializer(name: bad), "\(bad) parsed as \(Initializer(name: bad).map(String.init(describing:)) ?? "")")
        }
    }
}
