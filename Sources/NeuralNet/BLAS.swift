import CBLAS

/// The few BLAS entry points H5Train uses, over row-major contiguous Float32 buffers.
///
/// Every matrix product of the training step goes through `gemm`, so there is one place that
/// knows the CBLAS calling convention.
public enum BLAS {
    /// Whether a matrix operand is used as stored or transposed.
    public enum Transpose: Sendable {
        case none, transposed
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// Makes every BLAS call run on the calling thread only.
    ///
    /// H5Train parallelises over its own worker pool; a multi-threaded BLAS inside each worker
    /// would oversubscribe the cores. Call once before training (it is idempotent).
    public static func useSingleThreadPerCall() {
        h5blas_set_single_threaded()
    }

    /// C ← α·op(A)·op(B) + β·C, all row-major.
    ///
    /// - Parameters:
    ///   - m: rows of op(A) and C.   - n: columns of op(B) and C.   - k: columns of op(A), rows of op(B).
    ///   - lda, ldb, ldc: row strides (elements) of A, B, C as stored.
    @inline(__always)
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas,
            blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
}
