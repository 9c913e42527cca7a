import ArgumentParser
import Checkpoint
import Data
import DataParallel
import NeuralNet
import Optimizers
import Training

/// Gradient clipping, NaN/Inf handling, diagnostics and early stopping.
struct HealthOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Clip the gradient's global L2 norm to this value: g ← g·min(1, max/(‖g‖ + 1e-6)), as \
        PyTorch's clip_grad_norm_.
        """, valueName: "max"))
    var clipNorm: Float?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Clamp every gradient value to [−v, v] (PyTorch's clip_grad_value_), before --clip-norm.", valueName: "v"))
    var clipValue: Float?

    @Option(help: ArgumentHelp("""
        When a step's loss or gradient is NaN or infinite: stop (name the step, the layer and the \
        last finite loss) or skip (leave the parameters unchanged and go on).
        """, valueName: "policy"))
    var onNonfinite = "stop"

    @Flag(help: """
        After every epoch print, per layer, the weight norm, mean gradient norm, update/weight ratio \
        and fraction of dead ReLU units, and warn about vanishing or exploding gradients.
        """)
    var diagnostics = false

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Stop when the validation loss has not improved for this many epochs (needs validation data).", valueName: "epochs"))
    var earlyStop: Int?

    func validate() throws {
        guard NonFinitePolicy(rawValue: onNonfinite) != nil else {
            throw ValidationError("--on-nonfinite must be stop or skip, got '\(onNonfinite)'")
        }
    }

    /// Copies these settings into `configuration`.
    func apply(to configuration: inout TrainingConfiguration) {
        configuration.health = GradientHealthSettings(clipNorm: clipNorm, clipValue: clipValue,
                                                      onNonFinite: NonFinitePolicy(rawValue: onNonfinite) ?? .stop)
        configuration.diagnostics = diagnostics
        configuration.earlyStopPatience = earlyStop
    }
}
