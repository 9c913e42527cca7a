@testable import Settings
@testable import Checkpoint
import HDF5
@testable import NeuralNet
@testable import Optimizers
@testable import Training
import XCTest

/// The network a configuration describes: output layer by task and loss, per-layer activations
/// and their default initialisers.
final class ModelDescriptionTests: XCTestCase {
    func testPerLayerActivationsOverrideTheDefaultAndPickTheirInitialisers() throws {
        var config = TrainingConfiguration()
        config.hidden = [8, 4, 3]
        config.activation = .relu
        config.hiddenActivations = [.tanh, .leakyReLU(slope: 0.2), .relu]
        try config.validate()
        let model = try ModelDescription(configuration: config, inputs: 5, outputs: 2, task: .classification)
        XCTAssertEqual(model.architecture.layers.map(\.activation), [.tanh, .leakyReLU(slope: 0.2), .relu, .softmax])
        XCTAssertEqual(model.initializers, [.glorotUniform, .heNormal, .heNormal, .glorotUniform])
        XCTAssertEqual(model.architecture.layers.map(\.outputs), [8, 4, 3, 2])
    }

    func testOverridesMustMatchTheLayersAndBeTrainable() {
        var config = TrainingConfiguration()
        config.hidden = [8, 4]
        config.hiddenActivations = [.tanh]
        XCTAssertThrowsError(try config.validate()) { XCTAssertEqual(($0 as? TrainingError).map { $0.rendered(\.flag) }?.hasPrefix("--hidden: "), true, "\($0)") }
        config.hiddenActivations = [.tanh, .step]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("zero derivative"), "\($0)") }
    }

    func testOutputLayerFollowsTheLoss() throws {
        var config = TrainingConfiguration()
        config.hidden = [4]
        XCTAssertEqual(try ModelDescription(configuration: config, inputs: 3, outputs: 5, task: .classification).architecture.layers.last?.activation, .softmax)
        config.loss = .negativeLogLikelihood
        XCTAssertEqual(try ModelDescription(configuration: config, inputs: 3, outputs: 5, task: .classification).architecture.layers.last?.activation, .logSoftmax)
        config.loss = nil
        XCTAssertEqual(try ModelDescription(configuration: config, inputs: 3, outputs: 2, task: .regression).architecture.layers.last?.activation, .identity)
        config.loss = .meanSquaredError
        XCTAssertThrowsError(try ModelDescription(configuration: config, inputs: 3, outputs: 5, task: .classification))
    }
}
