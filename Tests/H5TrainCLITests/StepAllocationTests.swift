import NeuralNet
import XCTest

/// oneDNN's products add no heap allocation to a warm training step, counted as
/// tools/count-allocations counts: `h5train bench` with tools/malloc-counter.c preloaded (the tool
/// compiles it with `cc`). oneDNN 2.6's sgemm allocates a workspace on every call; h5train keeps
/// those blocks (Sources/CDNNL/workspace.h), and these tests fail if one product per call shows up
/// again. The tests run the debug binary, whose Swift code allocates in the step where a release
/// build does not, so they compare each kernel choice with OpenBLAS (whose products never allocate)
/// step for step; `tools/count-allocations` on a release build shows 0 for all (see README).
final class StepAllocationTests: XCTestCase {
    func testTheDefaultKernelsAllocateNoMoreThanOpenBLAS() throws {
        let openblas = try countedBench(kernels: ["--kernels", "openblas"])
        let automatic = try countedBench(kernels: [])
        #if arch(x86_64) && os(Linux)
        if MatrixProducts.isOneDNNAvailable { XCTAssertTrue(automatic.header.contains(", kernels onednn "), automatic.header) }
        #endif
        XCTAssertEqual(automatic.allocations, openblas.allocations, "the default kernels against openblas")
    }

    func testOneDNNAllocatesNoMoreThanOpenBLAS() throws {
        try XCTSkipUnless(MatrixProducts.isOneDNNAvailable, "libdnnl is not installed")
        let openblas = try countedBench(kernels: ["--kernels", "openblas"])
        let onednn = try countedBench(kernels: ["--kernels", "onednn"])
        XCTAssertTrue(onednn.header.contains(", kernels onednn ") && !onednn.header.contains("small products"), onednn.header)
        XCTAssertEqual(onednn.allocations, openblas.allocations, "every product on onednn against openblas")
    }

    /// A short bench of one and two workers (after its default warm-up steps) under the counter:
    /// its header (which names the kernels) and its count of allocations in the timed steps.
    private func countedBench(kernels: [String], file: StaticString = #filePath, line: UInt = #line) throws
        -> (header: String, allocations: String) {
        let counter = CLI.repositoryRoot.appendingPathComponent("tools").appendingPathComponent("count-allocations").path
        let result = try CLI.run(["bench", "--data", CLI.dataset("digits.h5"), "--hidden", "512,256", "--batch-size", "128",
                                  "--workers", "1,2", "--steps", "20"] + kernels,
                                 timeout: 300, launcher: [counter], file: file, line: line)
        XCTAssertSuccess(result, file: file, line: line)
        let header = try XCTUnwrap(result.stdoutLines.first { $0.hasPrefix("model ") }, result.description, file: file, line: line)
        let counted = try XCTUnwrap(result.stdoutLines.first { $0.hasPrefix("heap allocations during the timed steps: 1 worker: ") },
                                    result.description, file: file, line: line)
        return (header, counted)
    }
}
