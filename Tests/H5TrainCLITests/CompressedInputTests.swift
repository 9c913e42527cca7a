import Checkpoint
import DataParallel
import Foundation
import HDF5
import Training
import XCTest

/// Training data compressed the way h5py users compress it, through the binary: an LZF file
/// trains when the plugin is installed, and a filter that is not installed is one error line.
final class CompressedInputTests: XCTestCase {
    /// A fixture of the HDF5 tests (tools/make-filter-fixtures.py).
    private func fixture(_ name: String) -> String {
        CLI.repositoryRoot.appendingPathComponent("Tests/HDF5Tests/Fixtures").appendingPathComponent(name).path
    }

    func testTrainsOnAnLZFFileWrittenByH5py() throws {
        let data = fixture("lzf.h5")
        let result = try CLI.run(["train", "--data", data, "--x", "x", "--y", "y", "--hidden", "16", "--epochs", "30",
                                  "--batch-size", "32", "--lr", "0.1", "--seed", "2"])
        if result.stderr.contains("LZF filter") {
            throw XCTSkip("the LZF plugin is not installed (tools/install-deps installs it): \(result.stderr)")
        }
        XCTAssertSuccess(result)
        XCTAssertTrue(result.stdout.contains("data: \(data) x [120, 6] float32 → 120 rows × 6 features"), result.stdout)
        // y is 1 exactly when a row sums to more than 0: a linearly separable rule the network learns.
        let losses = result.stdoutLines.filter { $0.hasPrefix("epoch ") }.compactMap { line -> Double? in
            let words = line.split(separator: " ")
            return words.firstIndex(of: "train_loss").flatMap { Double(words[$0 + 1]) }
        }
        XCTAssertEqual(losses.count, 30, result.stdout)
        XCTAssertLessThan(losses.last ?? .infinity, 0.1 * (losses.first ?? 0), "the loss falls tenfold: \(losses)")
    }

    func testMissingFilterIsOneErrorLine() throws {
        let data = fixture("no-plugin.h5")
        let result = try CLI.run(["train", "--data", data, "--x", "zstd", "--y", "zfp", "--epochs", "1"])
        XCTAssertNoCrash(result)
        if result.stderr.contains("H5Dread failed") {
            throw XCTSkip("a Zstandard plugin is installed here: \(result.stderr)")
        }
        XCTAssertEqual(result.status, 1, "\(result)")
        XCTAssertEqual(result.stderrLines, [
            "h5train: error: \(data):/zstd: compressed with the Zstandard filter (HDF5 filter id 32015), which HDF5 cannot "
                + "load here; install an HDF5 plugin for it and set HDF5_PLUGIN_PATH to its folder",
        ])
    }
}
