@testable import Checkpoint
import Foundation
import HDF5
import Settings
@testable import Training
import XCTest

/// The checkpoint's record of how a run was spread over processes: written by training, read back,
/// shown by inspect, absent from older files, and outside the content checksum.
final class RankSpreadCheckpointTests: XCTestCase {
    private let folder = TemporaryFolder()

    /// A digits checkpoint trained in one process (2 workers), read back.
    private func trained() throws -> (TrainingState, String) {
        let path = folder.path("one.ckpt.h5")
        _ = try TinyModels.digits(checkpoint: path, epochs: 1)
        return (try TrainingState.read(from: path), path)
    }

    private func rewritten(_ state: TrainingState, spread: RankSpread?, name: String) throws -> (TrainingState, String) {
        var state = state
        state.spread = spread
        let path = folder.path(name)
        try state.write(to: path)
        return (try TrainingState.read(from: path), path)
    }

    func testOneProcessRecordsOneRankAndNoHosts() throws {
        let (state, path) = try trained()
        XCTAssertEqual(state.spread, RankSpread(ranks: 1, hosts: []))
        let training = try File.open(path).group("training")
        XCTAssertEqual(try training.intAttribute("ranks"), 1)
        XCTAssertFalse(training.hasAttribute("hosts"))
        XCTAssertTrue(CheckpointSummary(state, path: path).text(naming: \.flag).contains("2 (does not change the result)\n"))
    }

    /// Each rank's host, by rank, comma-separated; inspect names each host once.
    func testRanksAndHostsRoundTripAndInspectShowsThem() throws {
        let (state, _) = try trained()
        let spread = RankSpread(ranks: 3, hosts: ["host-a", "host-b", "host-a"])
        let (read, path) = try rewritten(state, spread: spread, name: "three.ckpt.h5")
        XCTAssertEqual(read.spread, spread)
        XCTAssertEqual(try File.open(path).group("training").stringAttribute("hosts"), "host-a,host-b,host-a")
        let text = CheckpointSummary(read, path: path).text(naming: \.flag)
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("trained with") }, text)
        XCTAssertTrue(line.hasSuffix("  3 ranks × 2 workers on host-a, host-b (does not change the result)"), String(line))
        XCTAssertFalse(text.contains("\nworkers "), text)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(CheckpointSummary(read, path: path).json.rendered().utf8)) as? [String: Any])
        let hyper = try XCTUnwrap(json["hyperparameters"] as? [String: Any])
        XCTAssertEqual(hyper["ranks"] as? Int, 3)
        XCTAssertEqual(hyper["hosts"] as? [String], ["host-a", "host-b", "host-a"])
        XCTAssertEqual(hyper["workers"] as? Int, 2)
    }

    /// A file without the record (written before it existed) loads, and inspect shows workers as before.
    func testACheckpointWithoutTheRecordStillLoads() throws {
        let (state, _) = try trained()
        let (read, path) = try rewritten(state, spread: nil, name: "old.ckpt.h5")
        XCTAssertFalse(try File.open(path).group("training").hasAttribute("ranks"))
        XCTAssertNil(read.spread)
        XCTAssertEqual(read.parameters, state.parameters)
        XCTAssertTrue(CheckpointSummary(read, path: path).text(naming: \.flag).contains("2 (does not change the result)\n"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(CheckpointSummary(read, path: path).json.rendered().utf8)) as? [String: Any])
        XCTAssertTrue((json["hyperparameters"] as? [String: Any])?["ranks"] is NSNull)
    }

    /// The spread never changes the result, so it is outside the content checksum: the same run
    /// recorded with another spread has the same checksum, and each verifies.
    func testTheSpreadIsOutsideTheContentChecksum() throws {
        let (state, _) = try trained()
        let (_, one) = try rewritten(state, spread: RankSpread(ranks: 1, hosts: []), name: "a.ckpt.h5")
        let (_, two) = try rewritten(state, spread: RankSpread(ranks: 2, hosts: ["vm", "vm"]), name: "b.ckpt.h5")
        let checksums = try [one, two].map { try File.open($0).root.stringAttribute("content_checksum") }
        XCTAssertEqual(checksums[0], checksums[1])
    }

    func testARecordThatNamesTooFewHostsOrNoRanksIsRefused() throws {
        let (state, _) = try trained()
        for (spread, name) in [(RankSpread(ranks: 0, hosts: []), "zero.ckpt.h5"), (RankSpread(ranks: 2, hosts: ["vm"]), "short.ckpt.h5")] {
            var bad = state
            bad.spread = spread
            let path = folder.path(name)
            try bad.write(to: path)
            XCTAssertThrowsError(try TrainingState.read(from: path)) { error in
                XCTAssertEqual("\(error)", "\(TrainingError.checkpoint(path: path, message: "/training: ranks \(spread.ranks) with \(spread.hosts.count) hosts; expected at least 1 rank and one host per rank"))")
            }
        }
    }
}
