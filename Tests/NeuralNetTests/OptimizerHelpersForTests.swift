import Foundation
import HDF5
import NeuralNet
import Optimizers
import XCTest

/// Shared by the Optimizer*Tests files: driving an optimizer over Swift arrays, a catalogue of
/// configurations covering every optimizer and option, the golden fixture, and test data.
enum OptimizerTesting {
    // MARK: Driving an optimizer

    /// One `update` call on Swift arrays.
    static func update(
        _ optimizer: any Optimizer, parameters: inout [Float], gradients: [Float], state: inout [Float],
        parameterCount: Int, range: Range<Int>, learningRate: Float, step: Int
    ) {
        precondition(parameters.count >= parameterCount && gradients.count >= parameterCount)
        precondition(state.count >= optimizer.stateCount * parameterCount)
        gradients.withUnsafeBufferPointer { g in
            parameters.withUnsafeMutableBufferPointer { w in
                state.withUnsafeMutableBufferPointer { s in
                    // A zero-length state array has no base address; give update a valid pointer anyway.
                    var spare: Float = .nan
                    withUnsafeMutablePointer(to: &spare) { spare in
                        optimizer.update(parameters: w.baseAddress!, gradients: g.baseAddress!,
                                         state: s.baseAddress ?? spare, parameterCount: parameterCount,
                                         range: range, learningRate: learningRate, step: step)
                    }
                }
            }
        }
    }

    /// The quadratic's gradient a_i·(w_i − c_i), in Float like the fixture script's `a * (w - c)`.
    static func quadraticGradient(a: [Float], c: [Float], w: [Float]) -> [Float] {
        w.indices.map { a[$0] * (w[$0] - c[$0]) }
    }

    /// Parameters after each of `steps` updates on the quadratic, and the final state.
    static func descend(
        _ optimizer: any Optimizer, w0: [Float], a: [Float], c: [Float], learningRate: Float, steps: Int
    ) -> (trajectory: [[Float]], state: [Float]) {
        var w = w0, state = [Float](repeating: 0, count: optimizer.stateCount * w0.count)
        var trajectory: [[Float]] = []
        for step in 0..<steps {
            let g = quadraticGradient(a: a, c: c, w: w)
            update(optimizer, parameters: &w, gradients: g, state: &state, parameterCount: w.count,
                   range: 0..<w.count, learningRate: learningRate, step: step)
            trajectory.append(w)
        }
        return (trajectory, state)
    }

    // MARK: Configurations

    /// Every optimizer, with each option switched on at least once (non-default values throughout,
    /// so a hyper-parameter that is ignored shows up as a difference somewhere).
    static let catalogue: [any Optimizer] = [
        SGD(),
        SGD(momentum: 0.9),
        SGD(momentum: 0.9, weightDecay: 0.01, dampening: 0.1),
        SGD(momentum: 0.9, weightDecay: 0.01, nesterov: true),
        RMSprop(),
        RMSprop(alpha: 0.9, eps: 1e-6, weightDecay: 0.01, centered: true),
        RMSprop(momentum: 0.9),
        RMSprop(alpha: 0.95, weightDecay: 0.001, momentum: 0.5, centered: true),
        Adagrad(),
        Adagrad(lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1, eps: 1e-8),
        Adadelta(),
        Adadelta(rho: 0.95, eps: 1e-5, weightDecay: 0.01),
        Adam(),
        Adam(beta1: 0.8, beta2: 0.9, amsgrad: true),
        Adam(weightDecay: 0.01),
        Adam(weightDecay: 0.01, decoupledWeightDecay: true),
        Adam.adamW(),
        Adam.adamW(beta1: 0.85, beta2: 0.95, eps: 1e-6, weightDecay: 0.1, amsgrad: true),
        Adamax(),
        Adamax(beta1: 0.8, beta2: 0.99, weightDecay: 0.01),
        NAdam(),
        NAdam(weightDecay: 0.01, momentumDecay: 0.01),
        NAdam(weightDecay: 0.1, decoupledWeightDecay: true),
    ]

    /// The command-line names of all optimizers.
    static let names: Set<String> = ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamw", "adamax", "nadam"]

    // MARK: The golden fixture

    /// Tests/NeuralNetTests/Fixtures/optimizers.h5, written by tools/make-optimizer-fixtures.py.
    static let fixturePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/optimizers.h5").path

    /// One case of the fixture.
    struct FixtureCase {
        var name: String
        var optimizer: any Optimizer
        var learningRate: Float
        var usesSquareRoot: Bool
        var stateNames: [String]
        var w0: [Float], a: [Float], c: [Float]
        /// torch.optim's parameters after each step.
        var trajectory: [[Float]]
        /// The same with PyTorch's MKL sqrt replaced by the correctly rounded one.
        var trajectoryExactSqrt: [[Float]]
        /// torch.optim's state after the last step, buffer after buffer (state_names order).
        var finalState: [Float]
        var finalStateExactSqrt: [Float]
    }

    /// The optimizer a fixture group's (or defaults group's) attributes describe.
    static func optimizer(named name: String, attributes group: Group) throws -> any Optimizer {
        func real(_ key: String) throws -> Double { try group.doubleAttribute(key) }
        func flag(_ key: String) throws -> Bool { try group.intAttribute(key) != 0 }
        switch name {
        case "sgd":
            return SGD(momentum: Float(try real("momentum")), weightDecay: Float(try real("weight_decay")),
                       dampening: Float(try real("dampening")), nesterov: try flag("nesterov"))
        case "rmsprop":
            return RMSprop(alpha: try real("alpha"), eps: try real("eps"), weightDecay: try real("weight_decay"),
                           momentum: try real("momentum"), centered: try flag("centered"))
        case "adagrad":
            return Adagrad(lrDecay: try real("lr_decay"), weightDecay: try real("weight_decay"),
                           initialAccumulatorValue: try real("initial_accumulator_value"), eps: try real("eps"))
        case "adadelta":
            return Adadelta(rho: try real("rho"), eps: try real("eps"), weightDecay: try real("weight_decay"))
        case "adam":
            return Adam(beta1: try real("beta1"), beta2: try real("beta2"), eps: try real("eps"),
                        weightDecay: try real("weight_decay"), amsgrad: try flag("amsgrad"),
                        decoupledWeightDecay: try flag("decoupled_weight_decay"))
        case "adamw":
            return Adam.adamW(beta1: try real("beta1"), beta2: try real("beta2"), eps: try real("eps"),
                         weightDecay: try real("weight_decay"), amsgrad: try flag("amsgrad"))
        case "adamax":
            return Adamax(beta1: try real("beta1"), beta2: try real("beta2"), eps: try real("eps"),
                          weightDecay: try real("weight_decay"))
        case "nadam":
            return NAdam(beta1: try real("beta1"), beta2: try real("beta2"), eps: try real("eps"),
                         weightDecay: try real("weight_decay"), momentumDecay: try real("momentum_decay"),
                         decoupledWeightDecay: try flag("decoupled_weight_decay"))
        default:
            throw FixtureError(message: "unknown optimizer '\(name)' in \(group.name)")
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// All cases of the fixture, in name order.
    static func fixtureCases() throws -> [FixtureCase] {
        let file = try File.open(fixturePath)
        let cases = try file.group("cases")
        return try cases.childNames().map { caseName in
            let group = try cases.group(caseName)
            func floats(_ dataset: String) throws -> [Float] { try group.dataset(dataset).read(Float.self) }
            func rows(_ dataset: String) throws -> [[Float]] {
                let data = try group.dataset(dataset)
                let values = try data.read(Double.self).map(Float.init)  // float64 holding float32 values: exact
                return stride(from: 0, to: values.count, by: data.elementsPerRow).map {
                    Array(values[$0..<($0 + data.elementsPerRow)])
                }
            }
            let name = try group.stringAttribute("optimizer")
            return FixtureCase(
                name: caseName,
                optimizer: try optimizer(named: name, attributes: group),
                learningRate: Float(try group.doubleAttribute("lr")),
                usesSquareRoot: try group.intAttribute("uses_sqrt") != 0,
                stateNames: try group.stringAttribute("state_names").split(separator: ",").map(String.init),
                w0: try floats("w0"), a: try floats("a"), c: try floats("c"),
                trajectory: try rows("trajectory"), trajectoryExactSqrt: try rows("trajectory_exact_sqrt"),
                finalState: try rows("final_state").flatMap { $0 },
                finalStateExactSqrt: try rows("final_state_exact_sqrt").flatMap { $0 })
        }
    }

    // MARK: Test data

    /// Bit patterns, so comparisons are exact (and NaN equals NaN).
    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
}
