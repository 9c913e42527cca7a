import HDF5
@testable import NeuralNet
import XCTest

/// Every product shape of the training step, on both kernel backends, against a float64 reference.
///
/// The bound is the classical one for a sum of k products in float32 (Higham, Accuracy and
/// Stability of Numerical Algorithms, §3.5): |ĉ − c| ≤ γ_k · Σ_p |a_ip|·|b_pj| with
/// γ_k = k·u / (1 − k·u), u = 2⁻²⁴, plus the rounding of α and of the stored result. Any
/// blocking, FMA or summation order a kernel picks stays inside it; a wrong operand, transpose,
/// stride or skipped term does not.
final class MatrixProductTests: XCTestCase {
    /// One product C (m × n, row stride ldc) ← α·op(A)·op(B), as the step calls it.
    struct Shape: CustomStringConvertible {
        var transA: BLAS.Transpose, transB: BLAS.Transpose
        var m: Int, n: Int, k: Int
        var alpha: Float = 1
        /// Extra elements at the end of each stored row (a sub-block of a wider matrix).
        var padA = 0, padB = 0, padC = 0
        var description: String { "\(transA)·\(transB) m \(m) n \(n) k \(k) α \(alpha) pads \(padA),\(padB),\(padC)" }
        var rowsA: Int { transA == .none ? m : k }
        var columnsA: Int { transA == .none ? k : m }
        var rowsB: Int { transB == .none ? k : n }
        var columnsB: Int { transB == .none ? n : k }
    }

    /// MNIST 784-512-256-10 in shards of 64 rows, batch 128 and 512, and its gradient blocks; then
    /// odd small shapes and strided sub-blocks.
    static let shapes: [Shape] = {
        var shapes: [Shape] = []
        let widths = [784, 512, 256, 10]
        for (inputs, outputs) in zip(widths, widths.dropFirst()) {
            shapes.append(Shape(transA: .none, transB: .none, m: 64, n: outputs, k: inputs))            // y = x·W
            if inputs != 784 {
                shapes.append(Shape(transA: .none, transB: .transposed, m: 64, n: inputs, k: outputs))  // δ·Wᵀ
            }
            for batch in [128, 512] {                                                                 // ∂W = α·xᵀ·δ
                shapes.append(Shape(transA: .transposed, transB: .none, m: inputs, n: outputs, k: batch, alpha: 1 / Float(batch)))
            }
        }
        // A gradient block: a band of a layer's input columns (x is 784 wide, the block 167 of them).
        shapes.append(Shape(transA: .transposed, transB: .none, m: 167, n: 512, k: 128, alpha: 0.25, padA: 617))
        for (m, n, k) in [(1, 1, 1), (1, 7, 3), (5, 1, 9), (3, 5, 2), (17, 13, 11), (31, 33, 65), (2, 100, 1)] {
            shapes.append(Shape(transA: .none, transB: .none, m: m, n: n, k: k))
            shapes.append(Shape(transA: .none, transB: .transposed, m: m, n: n, k: k, padB: 3))
            shapes.append(Shape(transA: .transposed, transB: .none, m: m, n: n, k: k, alpha: -0.5, padA: 2, padC: 5))
        }
        return shapes
    }()

    func testOpenBLASProductsMatchTheFloat64Reference() throws {
        try checkAllShapes(try MatrixProducts(.openblas))
    }

    func testOneDNNProductsMatchTheFloat64Reference() throws {
        try XCTSkipUnless(MatrixProducts.isOneDNNAvailable, "libdnnl is not installed")
        let products = try MatrixProducts(.onednn)
        XCTAssertEqual(products.backend, .onednn)
        try checkAllShapes(products)
    }

    /// The default routes the small shapes to OpenBLAS and the rest to oneDNN: both kinds are in `shapes`.
    func testAutomaticProductsMatchTheFloat64Reference() throws {
        let automatic = MatrixProducts.automatic
        if automatic.backend == .onednn {
            XCTAssertNotNil(automatic.smallProductsOn)
            XCTAssertTrue(Self.shapes.contains { MatrixProducts.isSmall($0.transB, m: $0.m, n: $0.n, k: $0.k) })
            XCTAssertTrue(Self.shapes.contains { !MatrixProducts.isSmall($0.transB, m: $0.m, n: $0.n, k: $0.k) })
        }
        try checkAllShapes(automatic)
    }

    /// On x86-64 Linux with libdnnl the default is oneDNN; elsewhere OpenBLAS.
    func testAutomaticChoosesOneDNNWhereItIsInstalled() {
        #if arch(x86_64) && os(Linux)
        XCTAssertEqual(MatrixProducts.automatic.backend, MatrixProducts.isOneDNNAvailable ? .onednn : .openblas)
        #else
        XCTAssertEqual(MatrixProducts.automatic.backend, .openblas)
        #endif
    }

    func testDescriptionNamesBackendAndKernelFamily() throws {
        let openblas = try MatrixProducts(.openblas)
        XCTAssertTrue(openblas.description.hasPrefix("openblas "), openblas.description)
        XCTAssertFalse(openblas.kernelFamily.isEmpty)
        guard MatrixProducts.isOneDNNAvailable else { return }
        let onednn = try MatrixProducts(.onednn)
        XCTAssertTrue(KernelISA.allCases.map(\.rawValue).contains(onednn.kernelFamily), onednn.description)
        XCTAssertEqual(onednn.description, "onednn \(onednn.kernelFamily)")
    }

    func testAnInstructionSetCapNeedsOneDNN() {
        XCTAssertThrowsError(try MatrixProducts(.openblas, maximumISA: .avx2)) { error in
            XCTAssertEqual(error as? KernelError, .isaNeedsOneDNN(.avx2))
            XCTAssertEqual((error as? KernelError)?.concernsBackend, false, "the instruction-set cap must change")
        }
    }

    /// Capping oneDNN at the family it already runs is accepted; the process keeps one family.
    func testCappingAtTheRunningFamilyIsAccepted() throws {
        try XCTSkipUnless(MatrixProducts.isOneDNNAvailable, "libdnnl is not installed")
        let running = try MatrixProducts(.onednn)
        let isa = try XCTUnwrap(KernelISA(rawValue: running.kernelFamily))
        XCTAssertEqual(try MatrixProducts(.onednn, maximumISA: isa), running)
        if isa != .sse41 {  // a lower cap after the first product cannot take effect: said, not ignored
            XCTAssertThrowsError(try MatrixProducts(.onednn, maximumISA: .sse41)) { error in
                XCTAssertEqual(error as? KernelError, .isaNotAvailable(requested: .sse41, running: isa.rawValue))
            }
        }
    }

    private func checkAllShapes(_ products: MatrixProducts) throws {
        var rng = TestRNG(seed: 42)
        for shape in Self.shapes {
            try check(shape, products, &rng)
        }
    }

    /// Runs one product into a NaN-filled C (β = 0 must overwrite it) with sentinels in C's row
    /// padding, and compares with the float64 sum.
    private func check(_ shape: Shape, _ products: MatrixProducts, _ rng: inout TestRNG) throws {
        let lda = shape.columnsA + shape.padA, ldb = shape.columnsB + shape.padB, ldc = shape.n + shape.padC
        let a = rng.floats(shape.rowsA * lda, in: -1, 1), b = rng.floats(shape.rowsB * ldb, in: -1, 1)
        let sentinel: Float = 12345
        var c = [Float](repeating: sentinel, count: shape.m * ldc)
        for i in 0..<shape.m { for j in 0..<shape.n { c[i * ldc + j] = .nan } }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    products.gemm(shape.transA, shape.transB, m: shape.m, n: shape.n, k: shape.k, alpha: shape.alpha,
                                  a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, c: c.baseAddress!, ldc: ldc)
                }
            }
        }
        let u = 0x1p-24, gamma = Double(shape.k) * u / (1 - Double(shape.k) * u)
        // The reference for every row of the large shapes would dominate the suite's time: check
        // rows spread over C (always the first and last), about 2 million terms per shape.
        let rowStep = max(1, shape.m * shape.n * shape.k / 2_000_000)
        var worst = 0.0
        for i in 0..<shape.m {
            for j in shape.n..<ldc {
                XCTAssertEqual(c[i * ldc + j], sentinel, "\(products) \(shape): wrote C[\(i),\(j)] in the row padding")
            }
            guard i % rowStep == 0 || i == shape.m - 1 else { continue }
            for j in 0..<shape.n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<shape.k {
                    let x = Double(shape.transA == .none ? a[i * lda + p] : a[p * lda + i])
                    let y = Double(shape.transB == .none ? b[p * ldb + j] : b[j * ldb + p])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let alpha = Double(shape.alpha), got = Double(c[i * ldc + j])
                let bound = abs(alpha) * (gamma + 2 * u) * magnitude + u * abs(alpha * sum) + Double.leastNormalMagnitude
                let error = abs(got - alpha * sum)
                XCTAssertLessThanOrEqual(error, bound, "\(products) \(shape): C[\(i),\(j)] = \(got), expected \(alpha * sum)")
                if !(error <= bound) { return }  // one message per shape is enough
                worst = max(worst, error / bound)
            }
        }
        XCTAssertLessThan(worst, 1, "\(products) \(shape)")
    }
}
