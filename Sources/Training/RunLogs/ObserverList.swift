import DataParallel
import Settings

/// Forwards everything a run reports to several observers, in the order they were added. Observers
/// can be added after the trainer is built (run logs need its architecture and steps per epoch).
public final class ObserverList: TrainingObserver {
    public private(set) var observers: [TrainingObserver]

    public init(_ observers: [TrainingObserver] = []) {
        self.observers = observers
    }

    public func add(_ observer: TrainingObserver) {
        observers.append(observer)
    }

    public func note(_ text: SettingText) {
        for observer in observers { observer.note(text) }
    }

    // The per-step calls index the array: a `for … in` loop allocates its iterator in debug builds.
    public func stepFinished(epoch: Int, stepInEpoch: Int, stepsPerEpoch: Int, runningLoss: Double) {
        var index = 0
        while index < observers.count {
            observers[index].stepFinished(epoch: epoch, stepInEpoch: stepInEpoch, stepsPerEpoch: stepsPerEpoch, runningLoss: runningLoss)
            index += 1
        }
    }

    public func epochFinished(_ metrics: EpochMetrics, totalEpochs: Int) {
        for observer in observers { observer.epochFinished(metrics, totalEpochs: totalEpochs) }
    }

    public func stepApplied(_ result: StepResult, step: Int) {
        var index = 0
        while index < observers.count {
            observers[index].stepApplied(result, step: step)
            index += 1
        }
    }

    public func epochFinished(_ metrics: EpochMetrics, engine: StepEngine) {
        for observer in observers { observer.epochFinished(metrics, engine: engine) }
    }
}
