import NeuralNet
import Optimizers
import XCTest

/// What a momentum-cycling schedule changes in each optimizer (PyTorch's OneCycleLR/CyclicLR rule).
final class OptimizerMomentumCyclingTests: XCTestCase {
    func testTheAdamFamilyCyclesBeta1() {
        let m: Float = 0.85
        XCTAssertEqual(Adam().cyclingMomentum(m).beta1, Double(m))
        XCTAssertEqual(Adam.adamW().cyclingMomentum(m).beta1, Double(m))
        XCTAssertEqual(Adamax().cyclingMomentum(m).beta1, Double(m))
        XCTAssertEqual(NAdam().cyclingMomentum(m).beta1, Double(m))
        XCTAssertEqual(Adam(beta2: 0.99).cyclingMomentum(m).beta2, 0.99, "only β₁ changes")
    }

    func testSGDAndRMSpropCycleMomentumOnlyWhenTheyHaveIt() {
        XCTAssertEqual(SGD(momentum: 0.9).cyclingMomentum(0.85).momentum, 0.85)
        XCTAssertEqual(SGD().cyclingMomentum(0.85), SGD(), "no momentum buffer to cycle")
        XCTAssertEqual(RMSprop(momentum: 0.5).cyclingMomentum(0.85).momentum, Double(Float(0.85)))
        XCTAssertEqual(RMSprop().cyclingMomentum(0.85), RMSprop())
        XCTAssertEqual(Adagrad().cyclingMomentum(0.85), Adagrad(), "no momentum term")
    }
}
