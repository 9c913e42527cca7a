import CMPI
import Settings

/// Point-to-point messages in flight (MPI_Isend, MPI_Irecv), with the arrays MPI is handed
/// allocated once, so a step that posts and waits for them allocates nothing in H5Train.
public final class MessageSet: @unchecked Sendable {
    public let capacity: Int
    /// Messages posted since the last `removeAll`.
    public private(set) var count = 0
    private let requests: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let done: UnsafeMutablePointer<Int32>

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        requests = .allocate(capacity: self.capacity)
        requests.initialize(repeating: nil, count: self.capacity)
        done = .allocate(capacity: self.capacity)
        done.initialize(repeating: 0, count: self.capacity)
    }

    deinit {
        requests.deallocate()
        done.deallocate()
    }

    /// Forgets the messages (all must be complete: see `Communicator.wait(_:)`).
    public func removeAll() { count = 0 }

    /// The next request's slot, marked not done.
    fileprivate func nextRequest() -> UnsafeMutablePointer<UnsafeMutableRawPointer?> {
        precondition(count < capacity, "more than \(capacity) messages in flight")
        done[count] = 0
        count += 1
        return requests + (count - 1)
    }

    fileprivate var arrays: (requests: UnsafeMutablePointer<UnsafeMutableRawPointer?>, done: UnsafeMutablePointer<Int32>) {
        (requests, done)
    }
}

extension Communicator {
    /// Posts MPI_Isend of `count` elements at `buffer` to rank `destination`, tagged `tag`; the
    /// buffer must stay unchanged until `wait(messages)` returns. Nothing for `.single`.
    public func send(_ buffer: UnsafeRawPointer, count: Int, type: CommunicatedType, to destination: Int, tag: Int,
                     in messages: MessageSet) throws(TrainingError) {
        guard let library else { return }
        try check(h5mpi_isend(library, buffer, Int32(count), type.rawValue, Int32(destination), Int32(tag),
                              messages.nextRequest()), "MPI_Isend")
    }

    /// Posts MPI_Irecv of `count` elements into `buffer` from rank `source`, tagged `tag`; the buffer
    /// holds them once `wait(messages)` returns. Nothing for `.single`.
    public func receive(into buffer: UnsafeMutableRawPointer, count: Int, type: CommunicatedType, from source: Int,
                        tag: Int, in messages: MessageSet) throws(TrainingError) {
        guard let library else { return }
        try check(h5mpi_irecv(library, buffer, Int32(count), type.rawValue, Int32(source), Int32(tag),
                              messages.nextRequest()), "MPI_Irecv")
    }

    /// Lets the messages (and every other transfer of this process) progress, without waiting.
    public func progress(_ messages: MessageSet) throws(TrainingError) {
        guard let library, messages.count > 0 else { return }
        var all: Int32 = 0
        let (requests, done) = messages.arrays
        try check(h5mpi_test_each(library, Int32(messages.count), requests, done, &all), "MPI_Test")
    }

    /// Waits politely (`h5mpi_wait_polite`) until every message of the set is complete, then empties it.
    public func wait(_ messages: MessageSet) throws(TrainingError) {
        guard let library, messages.count > 0 else { return }
        let (requests, done) = messages.arrays
        try check(h5mpi_wait_polite(library, Int32(messages.count), requests, done), "MPI_Test")
        messages.removeAll()
    }
}
