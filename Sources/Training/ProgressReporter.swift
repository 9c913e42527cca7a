import DataParallel
import Foundation

/// Receives what a training run has to say, as it happens.
public protocol TrainingObserver: AnyObject {
    /// A decision or fact worth telling the user before training starts (task, normalisation, …).
    func note(_ text: String)
    /// Called after optimizer steps within an epoch; may be called often, so keep it cheap.
    func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double)
    func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int)
    /// Called after every step that updated the parameters, with its result; `step` is the global
    /// optimizer step after it. Runs between steps: allocate nothing here.
    func stepApplied(_ result: StepResult, step: Int)
    /// Called after `epochFinished(_:totalEpochs:)`, with the engine, whose parameters and last
    /// gradient can be read (run logs: histograms).
    func epochFinished(_ metrics: EpochMetrics, engine: ParallelTrainer)
}

extension TrainingObserver {
    public func stepApplied(_ result: StepResult, step: Int) {}
    public func epochFinished(_ metrics: EpochMetrics, engine: ParallelTrainer) {}
}

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
    private var epochStart = Date()
    private var lastDraw = Date.distantPast
    private var currentEpoch = -1

    public init(mode: Mode) {
        self.mode = mode
    }

    /// `.terminal` when standard error is a terminal, `.lines` otherwise; `.quiet` if asked.
    public static func automatic(quiet: Bool) -> ConsoleReporter {
        if quiet { return ConsoleReporter(mode: .quiet) }
        return ConsoleReporter(mode: isatty(STDERR_FILENO) == 1 ? .terminal : .lines)
    }

    public func note(_ text: String) {
        guard mode != .quiet else { return }
        print(text)
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
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
