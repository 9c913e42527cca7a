import XCTest
import NeuralNet

/// Each initialiser fills a 400 × 300 layer (fanOut m = 400, fanIn n = 300: 120 000 weights, and
/// n ≠ m so a swapped fan shows). Sample mean and variance must lie within 5 standard errors of the
/// theoretical values (a correct sampler fails that with probability < 1e-6; the seeds are fixed,
/// so the outcome is deterministic). Normal laws must also put 68.27 % of the mass within one σ
/// (which a uniform law of the same variance, 57.7 %, does not); uniform laws must stay inside their
/// bounds and come within 0.1 % of both.
final class InitializerStatisticsTests: XCTestCase {
    private let fanIn = 300, fanOut = 400
    private let standardErrors = 5.0

    /// Weights drawn into a NaN-filled buffer, so an entry the initialiser skipped poisons the statistics.
    private func draw(_ initializer: Initializer, fanIn: Int? = nil, fanOut: Int? = nil, seed: UInt64 = 1) -> [Float] {
        let n = fanIn ?? self.fanIn, m = fanOut ?? self.fanOut
        var weights = [Float](repeating: .nan, count: n * m)
        var rng = Xoshiro256(seed: seed)
        weights.withUnsafeMutableBufferPointer { initializer.fill($0, fanIn: n, fanOut: m, using: &rng) }
        return weights
    }

    private func assertUniform(_ initializer: Initializer, _ low: Double, _ high: Double, file: StaticString = #filePath, line: UInt = #line) {
        let stats = SampleStatistics(draw(initializer))
        let variance = (high - low) * (high - low) / 12
        XCTAssertEqual(stats.mean, (low + high) / 2, accuracy: standardErrors * stats.meanStandardError(populationVariance: variance),
                       "\(initializer) mean", file: file, line: line)
        XCTAssertEqual(stats.variance, variance,
                       accuracy: standardErrors * stats.varianceStandardError(populationVariance: variance, kurtosis: 9.0 / 5),
                       "\(initializer) variance", file: file, line: line)
        XCTAssertGreaterThanOrEqual(stats.minimum, Double(Float(low)), "\(initializer) below its bound", file: file, line: line)
        XCTAssertLessThanOrEqual(stats.maximum, Double(Float(high)), "\(initializer) above its bound", file: file, line: line)
        let slack = 1e-3 * (high - low)
        XCTAssertLessThan(stats.minimum, low + slack, "\(initializer) never approaches its lower bound", file: file, line: line)
        XCTAssertGreaterThan(stats.maximum, high - slack, "\(initializer) never approaches its upper bound", file: file, line: line)
    }

    private func assertNormal(_ initializer: Initializer, mean: Double, variance: Double, file: StaticString = #filePath, line: UInt = #line) {
        let weights = draw(initializer)
        let stats = SampleStatistics(weights)
        XCTAssertEqual(stats.mean, mean, accuracy: standardErrors * stats.meanStandardError(populationVariance: variance),
                       "\(initializer) mean", file: file, line: line)
        XCTAssertEqual(stats.variance, variance,
                       accuracy: standardErrors * stats.varianceStandardError(populationVariance: variance, kurtosis: 3),
                       "\(initializer) variance", file: file, line: line)
        let sigma = variance.squareRoot()
        let withinOneSigma = Double(weights.filter { abs(Double($0) - mean) < sigma }.count) / Double(weights.count)
        let p = 0.682_689_492
        XCTAssertEqual(withinOneSigma, p, accuracy: standardErrors * (p * (1 - p) / Double(weights.count)).squareRoot(),
                       "\(initializer) is not normal-shaped", file: file, line: line)
    }

    func testZeros() {
        XCTAssertEqual(draw(.zeros), [Float](repeating: 0, count: fanIn * fanOut))
    }

    func testConstant() {
        XCTAssertEqual(draw(.constant(-0.375)), [Float](repeating: -0.375, count: fanIn * fanOut))
    }

    func testUniform() { assertUniform(.uniform(-0.2, 0.6), Double(Float(-0.2)), Double(Float(0.6))) }
    func testNormal() { assertNormal(.normal(mean: 0.5, std: 2), mean: 0.5, variance: 4) }
    func testLecunNormal() { assertNormal(.lecunNormal, mean: 0, variance: 1.0 / 300) }
    func testLecunUniform() { let a = (3.0 / 300).squareRoot(); assertUniform(.lecunUniform, -a, a) }
    func testXavierUniform() { let a = 1 / 300.0.squareRoot(); assertUniform(.xavierUniform, -a, a) }
    func testGlorotUniform() { let a = 6.0.squareRoot() / (300.0 + 400).squareRoot(); assertUniform(.glorotUniform, -a, a) }
    func testGlorotNormal() { assertNormal(.glorotNormal, mean: 0, variance: 2.0 / (300 + 400)) }
    func testHeNormal() { assertNormal(.heNormal, mean: 0, variance: 2.0 / 300) }
    func testHeUniform() { let a = (6.0 / 300).squareRoot(); assertUniform(.heUniform, -a, a) }

    func testDefaultForActivation() {
        XCTAssertEqual(Initializer.defaultFor(.relu), .heNormal)
        XCTAssertEqual(Initializer.defaultFor(.leakyReLU(slope: 0.01)), .heNormal)
        XCTAssertEqual(Initializer.defaultFor(.leakyReLU(slope: 0.3)), .heNormal)
        for activation: Activation in [.tanh, .sigmoid, .identity, .softmax] {
            XCTAssertEqual(Initializer.defaultFor(activation), .glorotUniform, "\(activation)")
        }
    }

    func testSymmetry() {
        XCTAssertTrue(Initializer.zeros.isSymmetric)
        XCTAssertTrue(Initializer.constant(0.1).isSymmetric)
        for initializer: Initializer in [.uniform(-1, 1), .normal(mean: 0, std: 1), .lecunNormal, .lecunUniform, .xavierUniform,
                                         .glorotUniform, .glorotNormal, .heNormal, .heUniform] {
            XCTAssertFalse(initializer.isSymmetric, "\(initializer)")
        }
    }

    // MARK: NetworkArchitecture.initialParameters

    private let network = NetworkArchitecture(layers: [
        LayerSpec(inputs: 6, outputs: 5, activation: .relu),
        LayerSpec(inputs: 5, outputs: 4, activation: .softmax),
    ])

    func testInitialParametersPlaceWeightsAndZeroBiases() {
        let p = network.initialParameters(initializers: [.constant(0.5), .glorotUniform], seed: 3)
        XCTAssertEqual(p.count, 6 * 5 + 5 + 5 * 4 + 4)
        XCTAssertEqual(Array(p[0..<30]), [Float](repeating: 0.5, count: 30), "layer 0 weights")
        XCTAssertEqual(Array(p[30..<35]), [Float](repeating: 0, count: 5), "layer 0 biases")
        let limit = Float((6.0 / (5 + 4)).squareRoot())
        let second = Array(p[35..<55])
        XCTAssert(second.allSatisfy { abs($0) <= limit && $0 != 0 }, "layer 1 weights: \(second)")
        XCTAssertEqual(Set(second).count, 20, "layer 1 weights must all differ")
        XCTAssertEqual(Array(p[55..<59]), [Float](repeating: 0, count: 4), "layer 1 biases")
    }

    func testInitialParametersAreDeterministicPerSeed() {
        let initializers: [Initializer] = [.heNormal, .glorotUniform]
        let first = network.initialParameters(initializers: initializers, seed: 7)
        XCTAssertEqual(network.initialParameters(initializers: initializers, seed: 7), first)
        let other = network.initialParameters(initializers: initializers, seed: 8)
        XCTAssertNotEqual(Array(other[0..<30]), Array(first[0..<30]))
        XCTAssertNotEqual(Array(other[35..<55]), Array(first[35..<55]))
    }

    /// initialParameters must pass each layer's own fan-in: He-uniform on a 300 → 400 layer is bounded
    /// by √(6/300) ≈ 0.141 and reaches it, where a swapped fan would stay below √(6/400) ≈ 0.122.
    func testInitialParametersUseTheLayersFanIn() {
        let wide = NetworkArchitecture(layers: [LayerSpec(inputs: 300, outputs: 400, activation: .relu)])
        let weights = wide.initialParameters(initializers: [.heUniform], seed: 5).prefix(120_000)
        let limit = (6.0 / 300).squareRoot()
        XCTAssertLessThanOrEqual(weights.map(abs).max()!, Float(limit))
        XCTAssertGreaterThan(Double(weights.map(abs).max()!), 0.999 * limit)
    }
}
