import Checkpoint
import DataParallel
import Foundation
import Training

/// Switches a `perf stat --control fifo:CTL,ACK -D -1` run on and off around a timed region, so only
/// the training steps are counted. Does nothing unless PERF_CTL_FIFO is set (and PERF_ACK_FIFO, if
/// given, is read for perf's acknowledgement after each command).
final class PerfControl {
    private let control: FileHandle?
    private let acknowledge: FileHandle?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        control = environment["PERF_CTL_FIFO"].flatMap { FileHandle(forWritingAtPath: $0) }
        acknowledge = control == nil ? nil : environment["PERF_ACK_FIFO"].flatMap { FileHandle(forReadingAtPath: $0) }
    }

    /// Runs `body` with the counters enabled.
    func counting(_ body: () -> Void) {
        send("enable")
        body()
        send("disable")
    }

    private func send(_ command: String) {
        guard let control else { return }
        control.write(Data((command + "\n").utf8))
        _ = acknowledge?.availableData  // perf answers "ack\n"
    }
}
