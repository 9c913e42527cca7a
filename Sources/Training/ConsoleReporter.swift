import DataParallel
import Foundation
import Optimizers
import Settings

/// Prints notes and one line per epoch to standard output and, on a terminal, a progress bar with
/// ETA on standard error while an epoch runs. With `quiet`, prints nothing.
public final class ConsoleReporter: TrainingObserver {
    public enum Mode: Sendable {
        case quiet
        /// Plain lines only (not a terminal: logs, pipes, CI).
        case lines
        /// Lines plus a live progress bar.
        case terminal
    }

    public let mode: Mode
    /// How notes spell the settings they mention (the command line: as flags).
    private let spelling: (Setting) -> String
    private var epochStart = Date()
    private var lastDraw = Date.distantPast
    private var currentEpoch = -1

    public init(mode: Mode, spelling: @escaping (Setting) -> String = \.name) {
        self.mode = mode
        self.spelling = spelling
    }

    /// `.terminal` when standard error is a terminal, `.lines` otherwise; `.quiet` if asked.
    public static func automatic(quiet: Bool, spelling: @escaping (Setting) -> String = \.name) -> ConsoleReporter {
        ConsoleReporter(mode: quiet ? .quiet : isatty(STDERR_FILENO) == 1 ? .terminal : .lines, spelling: spelling)
    }

    public func note(_ text: SettingText) {
        guard mode != .quiet else { return }
        print(text.rendered(spelling))
        fflush(nil)  // all streams: stdout is not concurrency-safe to name in Swift 6
    }

    public func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {
        guard mode == .terminal else { return }
        let now = Date()
        if epoch != currentEpoch {
            currentEpoch = epoch
            epochStart = now
        }
        guard now.timeIntervalSince(lastDraw) >= 0.1 || stepInEpoch == stepsPerEpoch else { return }
        lastDraw = now
        let fraction = Double(stepInEpoch) / Double(max(stepsPerEpoch, 1))
        let elapsed = now.timeIntervalSince(epochStart)
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = "\r  epoch \(epoch) [\(bar)] \(stepInEpoch)/\(stepsPerEpoch)  loss \(String(format2: runningLoss, 4))  ETA \(Self.duration(eta))  "
        FileHandle.standardError.write(Data(text.utf8))
    }

    public func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {
        guard mode != .quiet else { return }
        if mode == .terminal {
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))  // clear the progress bar
        }
        print(metrics.line(totalEpochs: totalEpochs))
        fflush(nil)  // all streams: stdout is not concurrency-safe to name in Swift 6
    }

    static func duration(_ seconds: Double) -> String {
        let s = Swift.max(0, Int(saturating: seconds.rounded()))
        return s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
