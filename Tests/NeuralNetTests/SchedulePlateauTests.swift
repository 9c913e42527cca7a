import NeuralNet
import Optimizers
import XCTest

/// ReduceLROnPlateau: PlateauState fed the fixture's metric sequences, rate and internal state
/// compared with PyTorch's after every observation.
final class SchedulePlateauTests: XCTestCase {
    private func assertMatchesPyTorch(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try ScheduleFixture.case(name)
        let metrics = try fixture.doubles("metrics")
        let states = try XCTUnwrap(fixture.plateauStates, file: file, line: line)
        XCTAssertEqual(metrics.count, fixture.rates.count, file: file, line: line)
        var plateau = PlateauState(try makePlateauParameters(fixture))
        XCTAssertEqual(plateau.learningRate(atStep: 0), Float(try fixture.double("base_lr")), file: file, line: line)
        for (i, metric) in metrics.enumerated() {
            let before = plateau.currentRate
            let reduced = plateau.observe(metric: metric)
            XCTAssertEqual(reduced, plateau.currentRate != before, file: file, line: line)
            // Same float64 operations as PyTorch: the rate and best agree exactly, not just closely.
            XCTAssertEqual(plateau.currentRate, fixture.rates[i], "\(name) rate after observation \(i + 1)", file: file, line: line)
            assertScheduleValue(plateau.learningRate(atStep: 7 * i), fixture.rates[i], "\(name) epoch \(i + 1)", file: file, line: line)
            XCTAssertEqual(plateau.best, states[i][0], "\(name) best after \(i + 1)", file: file, line: line)
            XCTAssertEqual(Double(plateau.badEpochs), states[i][1], "\(name) bad epochs after \(i + 1)", file: file, line: line)
            XCTAssertEqual(Double(plateau.cooldownCounter), states[i][2], "\(name) cooldown after \(i + 1)", file: file, line: line)
            XCTAssertEqual(plateau.epochs, i + 1, file: file, line: line)
        }
    }

    func testDefaultsMatchPyTorch() throws {
        try assertMatchesPyTorch("plateau")
        let defaults = PlateauParameters(rate: 0.1)
        XCTAssertEqual(defaults, try makePlateauParameters(ScheduleFixture.case("plateau")),
                       "the fixture uses PyTorch's defaults, which are H5Train's")
    }

    func testMaxModeAbsoluteThresholdCooldownFloorAndEpsMatchPyTorch() throws {
        try assertMatchesPyTorch("plateau_max_abs")
        // The last reduction is skipped: clamping to min_lr would change the rate by less than eps.
        let fixture = try ScheduleFixture.case("plateau_max_abs")
        XCTAssertEqual(fixture.rates.last, 0.0125)
        XCTAssertLessThan(0.0125 - (try fixture.double("min_lr")), try fixture.double("eps"))
    }

    func testIsStatefulAndStartsFromTheWorstBest() {
        let minimising = PlateauState(PlateauParameters(rate: 0.1))
        XCTAssertTrue(minimising.isStateful)
        XCTAssertEqual(minimising.best, .infinity)
        XCTAssertEqual(PlateauState(PlateauParameters(rate: 0.1, mode: .max)).best, -.infinity)
        XCTAssertNil(minimising.momentum(atStep: 0))
        XCTAssertNil(minimising.endStep)
    }

    func testNaNMetricCountsAsBad() {
        var plateau = PlateauState(PlateauParameters(rate: 0.1, patience: 0))
        plateau.observe(metric: 1)
        XCTAssertTrue(plateau.observe(metric: .nan))
        XCTAssertEqual(plateau.currentRate, 0.1 * 0.1)
        XCTAssertEqual(plateau.best, 1)
    }
}
