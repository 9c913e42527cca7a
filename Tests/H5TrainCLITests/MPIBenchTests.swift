import Foundation
import XCTest

/// `bench` across processes: rank 0 reports the step's communication, and the updated blocks'
/// weights travel as point-to-point messages posted while phase 2 computes.
extension MPIRunTests {
    /// The digits network (64-64-32-10) has one gradient block per layer, three in all. With two
    /// ranks every block is either rank 0's (one send, to rank 1) or rank 1's (one receive): three
    /// messages per step. With three ranks each owns one block: rank 0 sends its block to two ranks
    /// and receives the two others' blocks, four messages. One process posts none.
    func testBenchAcrossRanksPostsOneMessagePerBlockAndPeer() throws {
        let mpirun = try MPI.mpirun()
        let arguments = ["bench", "--data", CLI.dataset("digits.h5"), "--hidden", "64,32", "--batch-size", "64",
                         "--steps", "10", "--warmup", "2", "--workers", "1"]
        for (ranks, expected) in [(2, 3), (3, 4)] {
            let run = try CLI.run(arguments, timeout: 120, launcher: MPI.launcher(mpirun, ranks: ranks))
            XCTAssertSuccess(run)
            let line = try XCTUnwrap(run.stdoutLines.first { $0.hasPrefix("communication per step") }, "\(run)")
            XCTAssertTrue(line.contains("rank 0 of \(ranks) ranks × 1 worker"), line)
            XCTAssertTrue(line.hasSuffix("plus \(expected) messages (the updated blocks' weights) posted while computing"), line)
        }
        let single = try CLI.run(arguments)
        XCTAssertSuccess(single)
        XCTAssertFalse(single.stdout.contains("communication per step"), "\(single)")
    }
}
