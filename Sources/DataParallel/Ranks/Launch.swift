import Foundation

extension Communicator {
    /// What mpirun (Open MPI) told this process through its environment, readable without loading or
    /// initialising MPI: the process's rank, how many ranks the job has, and how many of them run on
    /// this host.
    public struct Launch: Sendable, Equatable {
        public var rank: Int
        public var size: Int
        public var localSize: Int

        public init(rank: Int, size: Int, localSize: Int) {
            (self.rank, self.size, self.localSize) = (rank, size, localSize)
        }
    }

    /// Nil unless mpirun started this process (OMPI_COMM_WORLD_SIZE is set).
    public static var launch: Launch? {
        func number(_ name: String) -> Int? { getenv(name).flatMap { Int(String(cString: $0)) } }
        guard let size = number("OMPI_COMM_WORLD_SIZE") else { return nil }
        return Launch(rank: number("OMPI_COMM_WORLD_RANK") ?? 0, size: max(size, 1),
                      localSize: max(number("OMPI_COMM_WORLD_LOCAL_SIZE") ?? 1, 1))
    }

    /// The processes mpirun started on this host (OMPI_COMM_WORLD_LOCAL_SIZE), which share its cores
    /// and memory; 1 without mpirun.
    public static var localRanks: Int { launch?.localSize ?? 1 }
}
