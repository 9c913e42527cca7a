@testable import Data
@testable import DataParallel
import Foundation
import Settings
import XCTest

/// `--memory-budget auto` under mpirun: each rank plans with its share of its host's memory, and
/// the ranks agree on the smallest share, so that all keep the data the same way.
final class MemoryShareTests: XCTestCase {
    private let gib = 1 << 30

    func testAShareIsTheHostsMemoryOverItsRanks() {
        XCTAssertEqual(MemoryShare(available: 16 * gib, localRanks: 1).bytes, 16 * gib)
        XCTAssertEqual(MemoryShare(available: 16 * gib, localRanks: 4).bytes, 4 * gib)
        XCTAssertEqual(MemoryShare(available: 10, localRanks: 3).bytes, 3)  // rounded down: never more than the host has
        XCTAssertEqual(MemoryShare(available: 16 * gib, localRanks: 0).localRanks, 1)
    }

    func testTheStartUpLineSaysWhoseShareItIs() {
        XCTAssertEqual(MemoryShare(available: 16 * gib, localRanks: 1).text.description, "the memory available (16 GiB)")
        XCTAssertEqual(MemoryShare(available: 16 * gib, localRanks: 2).text.description,
                       "this rank's share (1/2) of the memory available (16 GiB)")
        XCTAssertEqual(MemoryShare(available: 8 * gib, localRanks: 1, holder: (2, "host-b")).text.description,
                       "the memory available to rank 2 on host-b (8 GiB), the least of any rank's")
        XCTAssertEqual(MemoryShare(available: 24 * gib, localRanks: 3, holder: (1, "host-a")).text.description,
                       "rank 1's share (1/3) of the memory available on host-a (24 GiB), the least of any rank's")
    }

    /// 8 GiB alone, 16 GiB over 4 ranks and 12 GiB over 3 ranks: 8, 4 and 4 GiB; the first of the two smallest.
    func testRanksAgreeOnTheSmallestShareTheLowestRanksOnATie() {
        let shares = [MemoryShare(available: 8 * gib, localRanks: 1), MemoryShare(available: 16 * gib, localRanks: 4),
                      MemoryShare(available: 12 * gib, localRanks: 3)]
        let (rank, share) = MemoryShare.smallest(shares)
        XCTAssertEqual(rank, 1)
        XCTAssertEqual(share, shares[1])
        XCTAssertEqual(MemoryShare.smallest([shares[0]]).rank, 0)
    }

    func testOneProcessPlansWithItsOwnShareWithoutACollective() throws {
        let own = MemoryShare(available: 5 * gib, localRanks: 1)
        XCTAssertEqual(try MemoryShare.agreed(by: .single, own: own), own)
        XCTAssertEqual(MemoryShare.thisProcess, MemoryShare(available: MemoryBudget.available, localRanks: 1))
    }

    /// mpirun's environment: the rank, the job's size and the ranks on this host, without MPI.
    func testTheLaunchIsReadFromOpenMPIsEnvironment() {
        XCTAssertNil(Communicator.launch)
        XCTAssertEqual(Communicator.localRanks, 1)
        setenv("OMPI_COMM_WORLD_SIZE", "4", 1)
        setenv("OMPI_COMM_WORLD_RANK", "3", 1)
        setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "2", 1)
        defer { for name in ["OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"] { unsetenv(name) } }
        XCTAssertEqual(Communicator.launch, Communicator.Launch(rank: 3, size: 4, localSize: 2))
        XCTAssertEqual(MemoryShare.thisProcess.localRanks, 2)
        XCTAssertEqual(MemoryShare.thisProcess.bytes, MemoryBudget.available / 2)
        XCTAssertEqual(Communicator.defaultWorkers, max(1, WorkerPool.activeCores / 2))
    }

    /// digits with its validation data: data that fits in half the host streams once four ranks share it,
    /// through a quarter of the share.
    func testAutoStreamsWhenTheDataIsMoreThanHalfThisRanksShare() throws {
        let file = datasetsFolder.appendingPathComponent("digits.h5").path
        var options = LoaderOptions(train: DataSource(file: file, x: "x_train", y: "y_train"))
        options.validation = DataSource(file: file, x: "x_test", y: "y_test")
        options.memory = .auto
        let bytes = try XCTUnwrap(DatasetLoader.dataBytes(options))
        XCTAssertEqual(bytes, (1437 + 360) * (64 * 4 + 4))
        let available = 4 * bytes

        options.memoryShare = MemoryShare(available: available, localRanks: 1)
        guard case .inMemory(let note?) = DatasetLoader.placement(for: options) else { return XCTFail("expected in memory") }
        XCTAssertTrue(note.description.hasSuffix("fits in half the memory available (\(MemoryBudget.short(available)))"), "\(note)")

        options.memoryShare = MemoryShare(available: available, localRanks: 2)  // exactly half of the share: still fits
        guard case .inMemory(let shared?) = DatasetLoader.placement(for: options) else { return XCTFail("expected in memory") }
        XCTAssertTrue(shared.description.contains("fits in half this rank's share (1/2) of the memory available"), "\(shared)")

        options.memoryShare = MemoryShare(available: available, localRanks: 4)
        guard case .stream(let budget, let reason) = DatasetLoader.placement(for: options) else { return XCTFail("expected streaming") }
        XCTAssertEqual(budget, bytes / 4)
        XCTAssertEqual(reason.description, "the data (\(MemoryBudget.short(bytes))) is more than half this rank's share (1/4) of the memory available (\(MemoryBudget.short(available)))")
    }

    /// Resuming a streamed run: its windows come from the checkpoint, the budget from this rank's share.
    func testAResumedStreamedRunsBudgetIsAQuarterOfTheShare() {
        var options = LoaderOptions(train: DataSource(file: "unused.h5", x: "x", y: "y"))
        (options.memory, options.windowShape) = (.auto, WindowShape(blockRows: 16, blocksPerWindow: 4))
        options.memoryShare = MemoryShare(available: 64 * gib, localRanks: 2)
        guard case .stream(let budget, _) = DatasetLoader.placement(for: options) else { return XCTFail("expected streaming") }
        XCTAssertEqual(budget, 8 * gib)
    }
}
