import XCTest
import NeuralNet

/// `init(name: x.description) == x` for every activation, loss and initialiser, plus the documented
/// aliases and rejections.
final class NameParsingTests: XCTestCase {
    func testActivationRoundTrip() {
        for activation in Activation.all + [.leakyReLU(slope: 0.3), .leakyReLU(slope: 0), .leakyReLU(slope: 1e-5)] {
            XCTAssertEqual(Activation(name: activation.description), activation, "\(activation.description)")
        }
        XCTAssertEqual(Activation.leakyReLU(slope: 0.01).description, "leaky_relu")
    }

    func testActivationAliasesAndRejections() {
        XCTAssertEqual(Activation(name: "linear"), .identity)
        XCTAssertEqual(Activation(name: "LOGISTIC"), .sigmoid)
        XCTAssertEqual(Activation(name: "heaviside"), .step)
        XCTAssertEqual(Activation(name: "leaky_relu"), .leakyReLU(slope: 0.01))
        XCTAssertEqual(Activation(name: "leaky-relu:0.2"), .leakyReLU(slope: 0.2))
        for bad in ["", "gelu", "leaky_relu:-0.1", "leaky_relu:abc", "leaky_relu:inf"] {
            XCTAssertNil(Activation(name: bad), bad)
        }
    }

    func testLossRoundTrip() {
        let losses: [Loss] = [.softmaxCrossEntropy, .negativeLogLikelihood, .binaryCrossEntropy, .meanSquaredError,
                              .meanAbsoluteError, .huber(delta: 1), .huber(delta: 0.25), .huber(delta: 3)]
        for loss in losses {
            XCTAssertEqual(Loss(name: loss.description), loss, "\(loss.description)")
        }
    }

    func testLossAliasesAndRejections() {
        XCTAssertEqual(Loss(name: "CE"), .softmaxCrossEntropy)
        XCTAssertEqual(Loss(name: "mae"), .meanAbsoluteError)
        XCTAssertEqual(Loss(name: "huber"), .huber(delta: 1))
        XCTAssertEqual(Loss(name: "huber:2.5"), .huber(delta: 2.5))
        for bad in ["", "hinge", "huber:0", "huber:-1", "huber:x", "huber:inf"] {
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
