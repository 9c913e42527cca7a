import ArgumentParser
import Training

/// The learning-rate schedule, given per epoch and evaluated per optimizer step.
struct ScheduleOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Learning-rate schedule: constant, step (× --lr-gamma every --lr-step epochs).", valueName: "name"))
    var schedule = "constant"

    @Option(parsing: .unconditional, help: ArgumentHelp("step: epochs between decays; given alone it selects the step schedule.", valueName: "epochs"))
    var lrStep: Int?

    @Option(parsing: .unconditional, help: "step: factor of each decay.")
    var lrGamma: Double = 0.1

    var settings: ScheduleSettings {
        var settings = ScheduleSettings()
        settings.name = schedule.lowercased()
        settings.stepEpochs = lrStep
        settings.gamma = lrGamma
        // --lr-step alone means step decay.
        if lrStep != nil && schedule == "constant" { settings.name = "step" }
        return settings
    }
}
