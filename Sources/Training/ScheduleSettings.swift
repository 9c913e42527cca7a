import NeuralNet

/// The learning-rate schedule a run asked for, as given on the command line (per epoch or per step),
/// turned into a per-step `LearningRateSchedule` once the number of steps per epoch is known.
public struct ScheduleSettings: Sendable, Equatable {
    /// `constant` or `step`.
    public var name = "constant"
    /// `step`: epochs between decays.
    public var stepEpochs: Int?
    /// `step`: factor of each decay.
    public var gamma: Double = 0.1

    public init() {}

    /// Every schedule name `--schedule` accepts.
    public static let names = ["constant", "step"]

    /// Checks the settings; errors name the flag.
    public func validate() throws(TrainingError) {
        guard Self.names.contains(name) else {
            throw .invalidOption(flag: "--schedule", message: "unknown schedule '\(name)'; expected one of \(Self.names.joined(separator: ", "))")
        }
        if let step = stepEpochs, step < 1 { throw .invalidOption(flag: "--lr-step", message: "must be at least 1 epoch, got \(step)") }
        if name == "step" && stepEpochs == nil { throw .invalidOption(flag: "--lr-step", message: "the step schedule needs --lr-step EPOCHS") }
        if !(gamma.isFinite && gamma > 0) { throw .invalidOption(flag: "--lr-gamma", message: "must be a positive number, got \(gamma)") }
    }

    /// The per-step schedule with `rate` as its base (or peak) learning rate.
    public func makeSchedule(rate: Float, stepsPerEpoch: Int, totalSteps: Int) -> any LearningRateSchedule {
        switch name {
        case "step":
            StepDecaySchedule(rate: rate, stepSize: (stepEpochs ?? 1) * stepsPerEpoch, gamma: Float(gamma))
        default:
            ConstantSchedule(rate: rate)
        }
    }
}
