import XCTest
import NeuralNet

/// ELU, GELU (exact and tanh), SiLU and softplus against PyTorch 2.15, values and derivatives.
///
/// The literals were obtained in float64, so that they are the functions' true values to 10
/// significant digits rather than PyTorch's own Float32 rounding, with
///
///     python3 -c "import torch, torch.nn.functional as F
///     x = torch.tensor([-3., -1., -0.5, 0.5, 1., 3.], dtype=torch.float64, requires_grad=True)
///     y = F.gelu(x); y.sum().backward(); print(y, x.grad)"
///
/// and likewise `F.elu(x)`, `F.elu(x, alpha=0.5)`, `F.gelu(x, approximate='tanh')`, `F.silu(x)`,
/// `F.softplus(x)` and `F.softplus(x, beta=2)` on the inputs listed below. x.grad is dy/dz because
/// the loss is Σ y. The module (Float32) must match them to `tolerance` relative error.
///
/// (PyTorch's Float32 GELU computes ½z(1 + erf(z/√2)), which loses digits to cancellation for z ≪ 0:
/// its vectorised kernel gives gelu(−3) = −0.004050225, 1.3e-4 away from the true −0.004049694; the
/// module's erfc form does not, hence float64 references.)
final class ActivationReferenceValueTests: XCTestCase {
    private let tolerance = 2e-6

    private func check(_ activation: Activation, at z: [Float], values: [Double], derivatives: [Double],
                       tolerance: Double? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let tolerance = tolerance ?? self.tolerance
        let y = applied(activation, to: z, columns: z.count)
        let g = backwardKeepingInput(activation, input: activation.needsInput ? z : nil, output: y,
                                     gradient: [Float](repeating: 1, count: z.count), columns: z.count)
        for i in z.indices {
            assertRelativelyEqual(Double(y[i]), values[i], tolerance: tolerance, "\(activation)(\(z[i]))", file: file, line: line)
            assertRelativelyEqual(Double(g[i]), derivatives[i], tolerance: tolerance, "\(activation)′(\(z[i]))", file: file, line: line)
        }
    }

    private let points: [Float] = [-3, -1, -0.5, 0.5, 1, 3]

    func testELUMatchesPyTorch() {
        check(.elu(alpha: 1), at: points,
              values: [-0.9502129316, -0.6321205588, -0.3934693403, 0.5, 1, 3],
              derivatives: [0.04978706837, 0.3678794412, 0.6065306597, 1, 1, 1])
    }

    func testELUWithAlphaMatchesPyTorch() {
        check(.elu(alpha: 0.5), at: points,
              values: [-0.4751064658, -0.3160602794, -0.1967346701, 0.5, 1, 3],
              derivatives: [0.02489353418, 0.1839397206, 0.3032653299, 1, 1, 1])
    }

    func testGELUMatchesPyTorch() {
        check(.gelu, at: points,
              values: [-0.004049694095, -0.1586552539, -0.1542687694, 0.3457312306, 0.8413447461, 2.995950306],
              derivatives: [-0.0119456472, -0.08331547059, 0.1325048753, 0.8674951247, 1.083315471, 1.011945647])
    }

    func testGELUTanhMatchesPyTorch() {
        check(.geluTanh, at: points,
              values: [-0.003637392082, -0.1588080094, -0.1542859902, 0.3457140098, 0.8411919906, 2.996362608],
              derivatives: [-0.01158416663, -0.08296408385, 0.1326300965, 0.8673699035, 1.082964084, 1.011584167])
    }

    func testSiLUMatchesPyTorch() {
        check(.silu, at: points,
              values: [-0.1422776195, -0.2689414214, -0.1887703344, 0.3112296656, 0.7310585786, 2.85772238],
              derivatives: [-0.08810410602, 0.07232948813, 0.2600388127, 0.7399611873, 0.9276705119, 1.088104106])
    }

    /// Includes softplus(−30) = e^−30 (to 1e-13 relative), and 19 and 21 on either side of the threshold.
    func testSoftplusMatchesPyTorch() {
        check(.softplus(beta: 1), at: [-30, -3, -1, 0, 1, 3, 19, 21],
              values: [9.357622969e-14, 0.04858735157, 0.3132616875, 0.6931471806, 1.313261688, 3.048587352, 19.00000001, 21],
              derivatives: [9.357622969e-14, 0.04742587318, 0.2689414214, 0.5, 0.7310585786, 0.9525741268, 0.9999999944, 1])
    }

    /// β = 2: the threshold is at z = 10 (9.5 below it, 10.5 above).
    func testSoftplusWithBetaMatchesPyTorch() {
        check(.softplus(beta: 2), at: [-30, -1, 0, 1, 9.5, 10.5],
              values: [4.378255381e-27, 0.06346400552, 0.3465735903, 1.063464006, 9.500000003, 10.5],
              derivatives: [8.756510763e-27, 0.119202922, 0.5, 0.880797078, 0.9999999944, 1])
    }

    /// At z = 0 every one of them is 0, with PyTorch's derivative there: ELU takes its z ≤ 0 branch (α),
    /// GELU and SiLU ½ (Φ(0), σ(0)).
    func testValuesAndDerivativesAtZero() {
        let cases: [(Activation, Double)] = [(.elu(alpha: 1), 1), (.elu(alpha: 0.5), 0.5), (.gelu, 0.5), (.geluTanh, 0.5), (.silu, 0.5)]
        for (activation, derivative) in cases {
            let y = applied(activation, to: [0], columns: 1)
            XCTAssertEqual(y, [0], "\(activation)(0)")
            let g = backwardKeepingInput(activation, input: activation.needsInput ? [0] : nil, output: y, gradient: [1], columns: 1)
            XCTAssertEqual(Double(g[0]), derivative, "\(activation)′(0)")
        }
    }

    /// Far in the negative tail the exact GELU stays accurate, thanks to the erfc form: its values and
    /// derivatives at −5, −8, −10 to 1e-5. These references come from mpmath at 30 digits,
    ///
    ///     python3 -c "import mpmath as m; m.mp.dps = 30; z = m.mpf(-8)
    ///     print(z*m.erfc(-z/m.sqrt(2))/2, m.erfc(-z/m.sqrt(2))/2 + z*m.exp(-z*z/2)/m.sqrt(2*m.pi))"
    ///
    /// because there even float64 PyTorch is off: its ½z(1 + erf(z/√2)) gives gelu(−8) = −4.885e-15
    /// for the true −4.977e-15 (cancellation in 1 + erf), and Float32 PyTorch gives gelu(−5) = −1.19e-06
    /// for −1.433e-06.
    func testGELUNegativeTailIsAccurate() {
        check(.gelu, at: [-5, -8, -10],
              values: [-1.4332578594e-6, -4.97676845942e-15, -7.61985302416e-23],
              derivatives: [-7.14694600179e-6, -3.97960726109e-14, -7.61840009646e-22], tolerance: 1e-5)
    }
}
