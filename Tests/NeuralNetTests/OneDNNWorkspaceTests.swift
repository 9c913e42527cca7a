import Dispatch
@testable import NeuralNet
import Synchronization
import XCTest

/// oneDNN's per-call workspaces, kept by each thread for its next product (Sources/CDNNL/workspace.h).
final class OneDNNWorkspaceTests: XCTestCase {
    /// Where h5train runs oneDNN by default, its workspaces are kept (else every product allocates).
    func testWorkspacesAreKeptWhereOneDNNIsTheDefault() throws {
        #if arch(x86_64) && os(Linux)
        try XCTSkipUnless(MatrixProducts.isOneDNNAvailable, "libdnnl is not installed")
        XCTAssertTrue(MatrixProducts.oneDNNKeepsWorkspaces)
        #else
        throw XCTSkip("oneDNN's workspaces are kept on x86-64 Linux only")
        #endif
    }

    /// Threads running the step's oneDNN products at the same time, each in its own order (so a
    /// block kept after one shape serves another, larger blocks replace smaller ones), get the
    /// bits one thread got alone: no block is handed to two products at once.
    func testConcurrentProductsOnKeptWorkspacesGiveTheSingleThreadBits() throws {
        try XCTSkipUnless(MatrixProducts.isOneDNNAvailable, "libdnnl is not installed")
        let products = try MatrixProducts(.onednn)
        typealias Shape = MatrixProductTests.Shape
        let shapes = [Shape(transA: .none, transB: .none, m: 64, n: 512, k: 784),
                      Shape(transA: .none, transB: .none, m: 128, n: 256, k: 512),
                      Shape(transA: .none, transB: .transposed, m: 64, n: 512, k: 256),
                      Shape(transA: .transposed, transB: .none, m: 272, n: 512, k: 128, alpha: 1 / 128),
                      Shape(transA: .transposed, transB: .none, m: 512, n: 256, k: 512, alpha: 1 / 512),
                      Shape(transA: .none, transB: .none, m: 64, n: 10, k: 256)]
        var rng = TestRNG(seed: 7)
        let operands = shapes.map { (rng.floats($0.rowsA * $0.columnsA, in: -1, 1), rng.floats($0.rowsB * $0.columnsB, in: -1, 1)) }
        let expected = zip(shapes, operands).map { Self.product($0, $1.0, $1.1, products) }
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for round in 0..<6 {
                for step in 0..<shapes.count {
                    let s = (thread % 2 == 0 ? step : shapes.count - 1 - step + round) % shapes.count
                    if Self.product(shapes[s], operands[s].0, operands[s].1, products) != expected[s] {
                        mismatches.withLock { $0 += 1 }
                    }
                }
            }
        }
        XCTAssertEqual(mismatches.withLock { $0 }, 0)
        XCTAssertTrue(expected.allSatisfy { $0.allSatisfy(\.isFinite) && $0.contains { $0 != 0 } })
    }

    private static func product(_ shape: MatrixProductTests.Shape, _ a: [Float], _ b: [Float], _ products: MatrixProducts) -> [Float] {
        var c = [Float](repeating: .nan, count: shape.m * shape.n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    products.gemm(shape.transA, shape.transB, m: shape.m, n: shape.n, k: shape.k, alpha: shape.alpha,
                                  a: a.baseAddress!, lda: shape.columnsA, b: b.baseAddress!, ldb: shape.columnsB,
                                  c: c.baseAddress!, ldc: shape.n)
                }
            }
        }
        return c
    }
}
