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
        let header = try XCTUnwrap(bench.stdoutLines.first { $0.hasPrefix("model ") }, bench.description)
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

    func testTheCheckpointRecordsItsKernelsAndResumingOnOthersWarns() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("run.h5")
        XCTAssertSuccess(try CLI.run(["train", "--data", CLI.dataset("digits.h5"), "--hidden", "16", "--epochs", "1",
                                      "--kernels", "openblas", "--checkpoint", path, "--quiet"]))
        let inspect = try CLI.run(["inspect", path])
        let recorded = try XCTUnwrap(inspect.stdoutLines.first { $0.hasPrefix("kernels ") }, inspect.description)
        XCTAssertTrue(recorded.contains("openblas"), recorded)
        let same = try CLI.run(["train", "--resume", path, "--epochs", "2", "--kernels", "openblas"])
        XCTAssertSuccess(same)
        XCTAssertFalse(same.stdout.contains("warning: the run so far trained on the kernels"), same.description)
        guard MatrixProducts.isOneDNNAvailable else { throw XCTSkip("oneDNN is not installed: no other kernels to resume on") }
        let other = try CLI.run(["train", "--resume", path, "--epochs", "3", "--kernels", "onednn"])
        XCTAssertSuccess(other)
        XCTAssertTrue(other.stdout.contains("resume: warning: the run so far trained on the kernels openblas"), other.description)
    }
}
