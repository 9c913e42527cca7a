import Checkpoint
import DataParallel
import Dispatch
import Foundation
import Training

/// SIGINT and SIGTERM for a training run: the first one asks the run to finish its current step,
/// save a checkpoint and exit with status 130; a second one exits at once, touching no files.
final class InterruptHandler {
    private var sources: [DispatchSourceSignal] = []

    /// - Parameter announce: print that the run is stopping (rank 0 of a run across processes only).
    init(stop: StopRequest, announce: Bool = true) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)  // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if stop.request() {
                    guard announce else { return }
                    FileHandle.standardError.write(Data("\nh5train: stopping after this step and saving a checkpoint (again to quit at once)\n".utf8))
                } else {
                    _exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        sources.forEach { $0.cancel() }
    }
}
