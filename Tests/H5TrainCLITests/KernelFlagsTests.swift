import Checkpoint
import Data
import DataParallel
import HDF5
import NeuralNet
import Training
import XCTest

/// `--kernels` and `--isa`: the chosen kernels are named where a run starts, and a cap that cannot
/// apply is one usage error naming the flag.
final class KernelFlagsTests: XCTestCase {
    func testBenchHeaderAndTrainLineNameTheKernels() throws {
        let bench = try CLI.run(["bench", "--data", CLI.dataset("digits.h5"), "--hidden", "16", "--batch-size", "64",
                                 "--workers", "1", "--steps", "3", "--warmup", "1", "--kernels", "openblas"])
        XCTAssertSuccess(bench)
        let header = try XCTUnwrap(bench.stdoutLines.first, bench.description)
        XCTAssertTrue(header.hasPrefix("model 64-16-10, batch 64") && header.contains(", kernels openblas "), bench.description)
        let train = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--hidden", "16", "--epochs", "1",
                                 "--workers", "1", "--kernels", "openblas"])
        XCTAssertSuccess(train)
        let line = try XCTUnwrap(train.stdoutLines.first { $0.hasPrefix("train: ") }, train.description)
        XCTAssertTrue(line.contains(", kernels openblas "), line)
    }

    func testAnInstructionSetCapForOpenBLASIsAUsageError() throws {
        let result = try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--epochs", "1",
                                  "--kernels", "openblas", "--isa", "avx2"])
        XCTAssertEqual(result.status, 64, result.description)
        XCTAssertEqual(result.stderrLines.count, 1, result.description)
        XCTAssertTrue(result.stderr.hasPrefix("h5train: error: --isa: avx2 caps oneDNN's instruction set"), result.description)
    }

    func testUnknownKernelsAreRejected() throws {
        let result = try CLI.run(["evaluate", "--checkpoint", "missing.h5", "--data", CLI.dataset("digits.h5"), "--kernels", "mkl"])
        XCTAssertEqual(result.status, 64, result.description)
        XCTAssertTrue(result.stderr.contains("--kernels"), result.description)
    }
}
