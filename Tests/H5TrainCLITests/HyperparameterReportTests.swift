import Checkpoint
import DataParallel
import Foundation
@testable import H5TrainCLI
import HDF5
import Optimizers
import Settings
import Training
import XCTest

/// Every hyper-parameter an optimizer kind uses reaches `explain` and `inspect` with the value the
/// run uses: each is set by its flag to a value no default has, and must come back in all three
/// reports. (An Adagrad `--initial-accumulator` once reached the optimizer while `explain` printed 0
/// and `inspect` left it out.)
final class HyperparameterReportTests: XCTestCase {
    /// Values that no default has and that print the same way everywhere.
    private func distinctiveValue(_ parameter: OptimizerHyperparameter) -> Double? {
        switch parameter {
        case .momentum: 0.625
        case .dampening: 0  // Nesterov, switched on below, needs dampening 0
        case .alpha: 0.875
        case .eps: 0.0625
        case .rho: 0.8125
        case .beta1: 0.75
        case .beta2: 0.9375
        case .lrDecay: 0.125
        case .weightDecay: 0.03125
        case .momentumDecay: 0.015625
        case .initialAccumulator: 0.375
        case .nesterov, .centered, .decoupledWeightDecay: nil  // switches: turned on
        }
    }

    private func flags(for kind: OptimizerKind) -> [String] {
        var flags = ["--optimizer", kind.rawValue]
        for parameter in kind.hyperparameters {
            if let value = distinctiveValue(parameter) {
                flags += [parameter.setting.flag, "\(value)"]
            } else {
                flags.append(parameter.setting.flag)
            }
        }
        return flags
    }

    func testEveryHyperparameterOfEveryKindAppearsInExplainAndInspect() throws {
        let folder = try TemporaryDirectory()
        for kind in OptimizerKind.allCases {
            let explain = try CLI.run(["explain", "--data", CLI.dataset("xor.h5"), "--hidden", "4"] + flags(for: kind))
            XCTAssertSuccess(explain)
            let checkpoint = folder.file("\(kind.rawValue).h5")
            XCTAssertSuccess(try CLI.run(["train", "--data", CLI.dataset("xor.h5"), "--hidden", "4", "--epochs", "1", "--quiet",
                                          "--checkpoint", checkpoint] + flags(for: kind)))
            let inspect = try CLI.run(["inspect", checkpoint])
            let json = try CLI.run(["inspect", checkpoint, "--json"])
            XCTAssertSuccess(inspect)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let hyperparameters = try XCTUnwrap(object["hyperparameters"] as? [String: Any])
            let optimizer = try XCTUnwrap(hyperparameters["optimizer"] as? [String: Any], "\(hyperparameters)")
            for parameter in kind.hyperparameters {
                let value = distinctiveValue(parameter)
                let shown = value.map { ExplanationFormat.plain($0) } ?? "on"
                XCTAssertTrue(explain.stdout.contains("\(parameter.label) \(shown)"),
                              "explain --optimizer \(kind): no “\(parameter.label) \(shown)”\n\(explain.stdout)")
                let inspected = value.map { "\(parameter.key)=\($0)" } ?? "\(parameter.key)=true"
                XCTAssertTrue(inspect.stdout.contains(inspected), "inspect (\(kind)): no “\(inspected)”\n\(inspect.stdout)")
                switch optimizer[parameter.key] {
                case let number as NSNumber where value != nil:
                    XCTAssertEqual(number.doubleValue, value, "inspect --json (\(kind)): \(parameter.key)")
                case let on as Bool:
                    XCTAssertTrue(on, "inspect --json (\(kind)): \(parameter.key)")
                default:
                    XCTFail("inspect --json (\(kind)): no \(parameter.key) in \(optimizer)")
                }
            }
        }
    }
}
