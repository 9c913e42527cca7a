import CBLAS
import CDNNL
import Synchronization

/// The library that runs the matrix products of the training step.
public enum KernelBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    /// oneDNN's JIT sgemm (AVX-512 kernels where the processor has them). The default on x86-64
    /// Linux when libdnnl is installed.
    case onednn
    /// OpenBLAS's CBLAS sgemm: every other platform, and on request.
    case openblas

    public var description: String { rawValue }
}

/// The most a user may let oneDNN use: the f32 product kernels differ only between these
/// instruction sets, so capping two processors at the same one gives them the same bits.
public enum KernelISA: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Whatever the processor has.
    case native
    case sse41, avx, avx2
    case avx512Core = "avx512_core"

    public var description: String { rawValue }

    /// The oneDNN `dnnl_cpu_isa_t` value.
    var dnnlValue: Int32 {
        switch self {
        case .native: Int32(H5DNNL_ISA_NATIVE)
        case .sse41: Int32(H5DNNL_ISA_SSE41)
        case .avx: Int32(H5DNNL_ISA_AVX)
        case .avx2: Int32(H5DNNL_ISA_AVX2)
        case .avx512Core: Int32(H5DNNL_ISA_AVX512_CORE)
        }
    }

    /// The f32 kernel family a `dnnl_cpu_isa_t` value runs: the largest of these it contains.
    static func family(ofDNNL value: Int32) -> KernelISA? {
        [KernelISA.avx512Core, .avx2, .avx, .sse41].first { $0.dnnlValue & value == $0.dnnlValue }
    }
}

/// Why a product backend cannot be used as asked.
public enum KernelError: Error, Equatable, CustomStringConvertible {
    /// oneDNN was asked for but could not be loaded.
    case unavailable(reason: String)
    /// An instruction-set cap was given for a backend that has none.
    case isaNeedsOneDNN(KernelISA)
    /// The processor (or this process's earlier choice) gives another instruction set than asked.
    case isaNotAvailable(requested: KernelISA, running: String)

    /// Whether the choice of backend (rather than the instruction-set cap) is what must change.
    public var concernsBackend: Bool {
        if case .unavailable = self { return true }
        return false
    }

    /// What went wrong and what to do.
    public var description: String {
        switch self {
        case .unavailable(let reason):
            "onednn cannot run: \(reason); install libdnnl-dev (tools/install-deps) or use the openblas kernels"
        case .isaNeedsOneDNN(let isa):
            "\(isa) caps oneDNN's instruction set, not OpenBLAS's; use it with the onednn kernels"
        case .isaNotAvailable(let requested, let running):
            "oneDNN cannot run \(requested) here (it runs \(running)); choose an instruction set this processor has"
        }
    }
}

/// The matrix-product kernels a network runs: one backend, fixed for the process.
///
/// Every product of the forward and backward passes goes through `gemm`. Each call runs on the
/// calling thread only (the worker pool supplies the parallelism), and its float operations are
/// fixed by the shapes and the backend's instruction set, never by which thread makes it, so
/// results are bit-identical for any worker count on a given backend. Different backends or
/// instruction sets may differ in the last bits.
public struct MatrixProducts: Sendable, Equatable, CustomStringConvertible {
    /// The library running the products.
    public let backend: KernelBackend
    /// The kernel family it runs: an instruction set for oneDNN ("avx512_core"), OpenBLAS's core
    /// name for OpenBLAS ("haswell").
    public let kernelFamily: String
    /// oneDNN's entry points, for the oneDNN backend.
    private let dnnl: OneDNNLibrary.EntryPoints?
    /// OpenBLAS's core name when the oneDNN backend hands OpenBLAS the small products (`automatic`).
    public let smallProductsOn: String?

    /// "onednn avx512_core", "openblas haswell": what to print so a run can be reproduced.
    public var description: String {
        "\(backend) \(kernelFamily)" + (smallProductsOn.map { ", small products on openblas \($0)" } ?? "")
    }

    /// The backend to use: oneDNN, with its instruction set capped at `maximumISA`, or OpenBLAS.
    ///
    /// oneDNN's cap is process-wide and fixed by its first product, so every oneDNN value of a
    /// process runs the same instruction set; asking for another one later throws.
    public init(_ backend: KernelBackend, maximumISA: KernelISA = .native) throws(KernelError) {
        switch backend {
        case .openblas:
            guard maximumISA == .native else { throw .isaNeedsOneDNN(maximumISA) }
            BLAS.useSingleThreadPerCall()
            self.init(backend: .openblas, kernelFamily: Self.openBLASCore, dnnl: nil, smallProductsOn: nil)
        case .onednn:
            let library: OneDNNLibrary.EntryPoints
            switch OneDNNLibrary.loaded {
            case .success(let loaded): library = loaded
            case .failure(let failure): throw .unavailable(reason: failure.reason)
            }
            self.init(backend: .onednn, kernelFamily: try library.family(capAt: maximumISA).rawValue, dnnl: library,
                      smallProductsOn: nil)
        }
    }

    private init(backend: KernelBackend, kernelFamily: String, dnnl: OneDNNLibrary.EntryPoints?, smallProductsOn: String?) {
        self.backend = backend
        self.kernelFamily = kernelFamily
        self.dnnl = dnnl
        self.smallProductsOn = smallProductsOn
    }

    public static func == (lhs: MatrixProducts, rhs: MatrixProducts) -> Bool {
        lhs.backend == rhs.backend && lhs.kernelFamily == rhs.kernelFamily && lhs.smallProductsOn == rhs.smallProductsOn
    }

    /// The fastest kernels here: where oneDNN can run (x86-64 Linux with libdnnl installed), oneDNN
    /// for the products where it is faster and OpenBLAS for the small ones where oneDNN's per-call
    /// cost dominates (`isSmall`); otherwise OpenBLAS. Which library runs a product depends only on
    /// its shape, so results stay the same for any worker count; for the same bits on another
    /// machine, choose one backend explicitly.
    public static var automatic: MatrixProducts {
        #if arch(x86_64) && os(Linux)
        if let onednn = try? MatrixProducts(.onednn) {
            BLAS.useSingleThreadPerCall()
            return MatrixProducts(backend: .onednn, kernelFamily: onednn.kernelFamily, dnnl: onednn.dnnl,
                                  smallProductsOn: openBLASCore)
        }
        #endif
        return try! MatrixProducts(.openblas)  // never throws without an ISA cap
    }

    /// The products oneDNN 2.6's sgemm runs slower than OpenBLAS on one thread (timed shape by
    /// shape on an AMD EPYC Zen 4): a narrow result (n ≤ 16, such as a 10-class output layer) or a
    /// small product with a transposed B (the backward δ·Wᵀ of narrow layers). The step's larger
    /// products run 1.05–1.2× faster on oneDNN's AVX-512 kernels there.
    @inline(__always)
    static func isSmall(_ transB: BLAS.Transpose, m: Int, n: Int, k: Int) -> Bool {
        n <= 16 || (transB == .transposed && m * n * k <= 131_072)
    }

    /// Whether oneDNN can be loaded in this process.
    public static var isOneDNNAvailable: Bool {
        if case .success = OneDNNLibrary.loaded { return true }
        return false
    }

    /// Whether oneDNN's products reuse their workspaces: oneDNN 2.6's sgemm allocates one on every
    /// call, and the CDNNL shim keeps those blocks for the calling thread's next product instead of
    /// letting them be freed (x86-64 Linux), so that a warm training step allocates nothing.
    /// False when oneDNN cannot be loaded or its allocator calls could not be redirected.
    public static var oneDNNKeepsWorkspaces: Bool {
        if case .success(let loaded) = OneDNNLibrary.loaded { return loaded.table.pointee.keeps_workspaces != 0 }
        return false
    }

    private static let selection = Mutex<MatrixProducts?>(nil)

    /// The process's kernels: what `select` chose, else `automatic`. Workspaces and trainers made
    /// without explicit kernels use it.
    public static var current: MatrixProducts {
        selection.withLock { chosen in
            if let chosen { return chosen }
            let made = automatic
            chosen = made
            return made
        }
    }

    /// Makes `products` the process's kernels (the command line does so once, from its flags).
    public static func select(_ products: MatrixProducts) {
        selection.withLock { $0 = products }
    }

    private static var openBLASCore: String {
        guard let name = h5blas_core_name() else { return "cblas" }
        return String(cString: name).lowercased()
    }

    /// C ← α·op(A)·op(B) + β·C, all row-major; as `BLAS.gemm`, on the chosen backend.
    ///
    /// - Parameters:
    ///   - m: rows of op(A) and C.   - n: columns of op(B) and C.   - k: columns of op(A), rows of op(B).
    ///   - lda, ldb, ldc: row strides (elements) of A, B, C as stored.
    @inline(__always)
    public func gemm(
        _ transA: BLAS.Transpose, _ transB: BLAS.Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        switch backend {
        case .openblas:
            BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: c, ldc: ldc)
        case .onednn where smallProductsOn != nil && Self.isSmall(transB, m: m, n: n, k: k):
            BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: c, ldc: ldc)
        case .onednn:
            let status = h5dnnl_sgemm(dnnl.unsafelyUnwrapped.table, transA.dnnl, transB.dnnl, Int64(m), Int64(n), Int64(k),
                                      alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
            precondition(status == 0, "oneDNN sgemm failed (status \(status)) on \(m)×\(k)·\(k)×\(n)")
        }
    }
}

extension BLAS.Transpose {
    /// oneDNN's transpose character: 'N' or 'T'.
    @inline(__always)
    var dnnl: CChar { self == .none ? 78 : 84 }
}

/// The process's one copy of libdnnl, opened on first use.
private enum OneDNNLibrary {
    /// Why libdnnl could not be used.
    struct LoadFailure: Error { let reason: String }

    /// The loaded entry points: one table for the process, never freed, read-only once loaded.
    struct EntryPoints: @unchecked Sendable {
        let table: UnsafePointer<h5dnnl_library>

        /// Caps oneDNN at `isa` (unless native) and returns the kernel family it then runs.
        func family(capAt isa: KernelISA) throws(KernelError) -> KernelISA {
            let running: KernelISA? = capLock.withLock { _ in
                if isa != .native { _ = h5dnnl_set_max_cpu_isa(table, isa.dnnlValue) }  // refused once fixed
                return KernelISA.family(ofDNNL: h5dnnl_get_effective_cpu_isa(table))
            }
            guard let running else { throw .isaNotAvailable(requested: isa, running: "no JIT kernels") }
            guard isa == .native || running == isa else { throw .isaNotAvailable(requested: isa, running: running.rawValue) }
            return running
        }
    }

    static let loaded: Result<EntryPoints, LoadFailure> = {
        let table = UnsafeMutablePointer<h5dnnl_library>.allocate(capacity: 1)
        table.initialize(to: h5dnnl_library())
        var missing: UnsafePointer<CChar>?
        switch h5dnnl_load(table, &missing) {
        case 0: return .success(EntryPoints(table: UnsafePointer(table)))
        case 1: return .failure(LoadFailure(reason: "libdnnl (oneDNN) is not installed"))
        default: return .failure(LoadFailure(reason: "libdnnl lacks \(missing.map { String(cString: $0) } ?? "a symbol")"))
        }
    }()

    private static let capLock = Mutex(())
}
