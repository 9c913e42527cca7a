import NeuralNet
import Optimizers
import XCTest

/// Command-line names and descriptions: each optimizer has its own name, and its description starts
/// with the name and lists every hyper-parameter with its value (PyTorch's names).
final class OptimizerDescriptionTests: XCTestCase {
    func testNames() {
        XCTAssertEqual(SGD().name, "sgd")
        XCTAssertEqual(RMSprop().name, "rmsprop")
        XCTAssertEqual(Adagrad().name, "adagrad")
        XCTAssertEqual(Adadelta().name, "adadelta")
        XCTAssertEqual(Adam().name, "adam")
        XCTAssertEqual(Adam(weightDecay: 0.01, decoupledWeightDecay: true).name, "adamw", "PyTorch's AdamW")
        XCTAssertEqual(Adam.adamW().name, "adamw")
        XCTAssertEqual(Adamax().name, "adamax")
        XCTAssertEqual(NAdam().name, "nadam")
        XCTAssertEqual(Set(OptimizerTesting.catalogue.map(\.name)), OptimizerTesting.names)
        for optimizer in OptimizerTesting.catalogue {
            XCTAssertTrue(optimizer.description.hasPrefix(optimizer.name + " "), optimizer.description)
        }
    }

    func testDescriptionsListHyperParametersWithValues() {
        XCTAssertEqual(RMSprop().description, "rmsprop alpha=0.99 eps=1e-08 weight_decay=0.0 momentum=0.0 centered=false")
        XCTAssertEqual(Adagrad(lrDecay: 0.5).description,
                       "adagrad lr_decay=0.5 weight_decay=0.0 initial_accumulator_value=0.0 eps=1e-10")
        XCTAssertEqual(Adadelta().description, "adadelta rho=0.9 eps=1e-06 weight_decay=0.0")
        XCTAssertEqual(Adam().description, "adam betas=(0.9, 0.999) eps=1e-08 weight_decay=0.0 amsgrad=false")
        XCTAssertEqual(Adam(weightDecay: 0.1, decoupledWeightDecay: true).description,
                       "adamw betas=(0.9, 0.999) eps=1e-08 weight_decay=0.1 amsgrad=false")
        XCTAssertEqual(Adam.adamW(amsgrad: true).description, "adamw betas=(0.9, 0.999) eps=1e-08 weight_decay=0.01 amsgrad=true")
        XCTAssertEqual(Adamax().description, "adamax betas=(0.9, 0.999) eps=1e-08 weight_decay=0.0")
        XCTAssertEqual(NAdam().description,
                       "nadam betas=(0.9, 0.999) eps=1e-08 weight_decay=0.0 momentum_decay=0.004 decoupled_weight_decay=false")
        XCTAssertEqual(SGD(momentum: 0.9, weightDecay: 0.01, nesterov: true).description, "sgd momentum=0.9 nesterov weight_decay=0.01")
    }

    /// Hyper-parameters are stored properties: changing one changes the description.
    func testDescriptionsFollowTheStoredProperties() {
        var adam = Adam()
        adam.beta2 = 0.95
        adam.amsgrad = true
        XCTAssertEqual(adam.description, "adam betas=(0.9, 0.95) eps=1e-08 weight_decay=0.0 amsgrad=true")
        XCTAssertEqual(adam.stateCount, 3)
        var rmsprop = RMSprop()
        rmsprop.centered = true
        XCTAssertTrue(rmsprop.description.hasSuffix("centered=true"))
    }

    /// PyTorch's default learning rates (lr is the schedule's, so not an initialiser argument).
    func testDefaultLearningRates() {
        XCTAssertEqual(SGD.defaultLearningRate, 1e-3)
        XCTAssertEqual(RMSprop.defaultLearningRate, 1e-2)
        XCTAssertEqual(Adagrad.defaultLearningRate, 1e-2)
        XCTAssertEqual(Adadelta.defaultLearningRate, 1)
        XCTAssertEqual(Adam.defaultLearningRate, 1e-3)
        XCTAssertEqual(Adam.defaultLearningRate, 1e-3)
        XCTAssertEqual(Adamax.defaultLearningRate, 2e-3)
        XCTAssertEqual(NAdam.defaultLearningRate, 2e-3)
    }
}
