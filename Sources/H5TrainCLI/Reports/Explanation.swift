import Checkpoint
import Data
import DataParallel
import NeuralNet
import Optimizers
import Settings
import Training

/// What `h5train explain` prints: the network a run would train, every component's formula and
/// values, and warnings, as plain-text lines. A pure function of the settings and the data's shape
/// (no data is read here, nothing is trained).
public enum Explanation {
    /// The explanation of a run with `configuration` on data of `shape`.
    ///
    /// - Parameter stepsPerEpoch: optimizer steps per epoch (`--steps-per-epoch`); nil for
    ///   ⌈training rows / batch size⌉ when `shape` knows the rows. Without either, the schedule is
    ///   given as a formula only.
    /// - Throws: `TrainingError.invalidSetting` for whatever `train` would refuse: the checks of
    ///   ``TrainingConfiguration/validate()`` (e.g. the step activation), a loss that does not fit
    ///   the task, widths below 1, a batch larger than the training rows.
    public static func lines(configuration: TrainingConfiguration, shape: DataShape, stepsPerEpoch: Int? = nil) throws(TrainingError) -> [String] {
        try configuration.validate()
        let steps = try resolvedStepsPerEpoch(configuration: configuration, shape: shape, given: stepsPerEpoch)
        let model = try ModelDescription(configuration: configuration, inputs: shape.inputs, outputs: shape.outputs, task: shape.task)
        var lines = shape.notes.map(\.withFlags)
        lines += network(model, configuration: configuration)
        lines.append("hidden activation: " + (configuration.hidden.isEmpty ? "none (no hidden layer)" : ExplanationFormulas.activation(configuration.activation)))
        if configuration.dropout > 0 {
            lines.append("dropout: p = \(ExplanationFormat.rate(Double(configuration.dropout))) on each hidden layer's output while training: y ← y·d/(1 − p), d = 0 with probability p else 1 (inverted dropout; evaluation and prediction keep y); masks depend only on the seed, step, row, layer and unit, so any --workers gives the same result")
        }
        lines += ExplanationFormulas.loss(model.loss)
        lines += initialisation(model, configuration: configuration)
        lines += ExplanationOptimizer.lines(configuration.optimizer, rate: configuration.resolvedLearningRate,
                                           rateGiven: configuration.learningRate != nil)
        lines += ExplanationRun.schedule(configuration, stepsPerEpoch: steps)
        lines += ExplanationRun.health(configuration)
        lines += ExplanationRun.parallelism(configuration)
        lines += warnings(model, configuration: configuration)
        return lines
    }

    /// `given`, or ⌈rows / batch⌉ from the shape; checks both against the batch size as `train` does.
    private static func resolvedStepsPerEpoch(configuration: TrainingConfiguration, shape: DataShape, given: Int?) throws(TrainingError) -> Int? {
        func fail(_ setting: Setting, _ message: SettingText) -> TrainingError { .invalidSetting(setting, message) }
        guard shape.inputs >= 1 else { throw fail(.inputs, "must be at least 1, got \(shape.inputs)") }
        guard shape.outputs >= 1 else { throw fail(.outputs, "must be at least 1, got \(shape.outputs)") }
        if shape.task == .classification && shape.outputs < 2 {
            throw fail(.outputs, "classification needs at least 2 classes, got \(shape.outputs)")
        }
        // Parameters (with the optimizer's up to 3 state buffers, in bytes) and FLOP must fit an Int.
        let widths = [shape.inputs] + configuration.hidden + [shape.outputs]
        let limit = Int.max / 16
        var parameters = 0
        for (n, m) in zip(widths, widths.dropFirst()) {
            let (product, overflow) = n.multipliedReportingOverflow(by: m)
            guard !overflow, m < limit, product < limit - m - parameters else {
                throw fail(.hidden, "a network of widths \(widths) has too many parameters to count")
            }
            parameters += product + m
        }
        if let given, given < 1 { throw fail(.stepsPerEpoch, "must be at least 1, got \(given)") }
        guard let rows = shape.trainingRows else { return given }
        guard configuration.batchSize <= rows else {
            throw fail(.batchSize, "\(configuration.batchSize) is larger than the \(rows) training rows")
        }
        return given ?? (rows + configuration.batchSize - 1) / configuration.batchSize
    }

    /// Layers, parameter counts, FLOP and memory.
    static func network(_ model: ModelDescription, configuration: TrainingConfiguration) -> [String] {
        let architecture = model.architecture
        let g = ExplanationFormat.grouped
        let widths = [architecture.inputSize] + architecture.layers.map(\.outputs)
        let what = model.task == .classification ? "\(architecture.outputSize) classes" : "\(architecture.outputSize) output\(architecture.outputSize == 1 ? "" : "s")"
        var lines = ["network: \(widths.map(String.init).joined(separator: " → ")) (\(model.task.rawValue), \(what)), dense layers y = f(x·Wᵀ + b)"]
        let names = architecture.layers.map { "\($0.inputs)→\($0.outputs) \($0.activation)" }
        let counts = architecture.layers.map { g($0.parameterCount) }
        let (nameWidth, countWidth) = (names.map(\.count).max() ?? 0, counts.map(\.count).max() ?? 0)
        for (index, layer) in architecture.layers.enumerated() {
            let padding = String(repeating: " ", count: nameWidth - names[index].count + countWidth - counts[index].count)
            lines.append("  layer \(index + 1): \(names[index])  \(padding)\(counts[index]) parameters (\(g(layer.inputs * layer.outputs)) weights + \(g(layer.outputs)) bias\(layer.outputs == 1 ? "" : "es"))")
        }
        lines.append("  total: \(g(architecture.parameterCount)) parameters")
        let batch = configuration.batchSize
        lines.append("  FLOP per sample: forward \(ExplanationFormat.flop(architecture.forwardFLOPPerSample)); training (forward + backward) \(ExplanationFormat.flop(architecture.trainingFLOPPerSample))")
        let (perStep, overflow) = architecture.trainingFLOPPerSample.multipliedReportingOverflow(by: batch)
        if !overflow { lines.append("  FLOP per training step (batch \(batch)): \(ExplanationFormat.flop(perStep))") }
        let optimizer = configuration.optimizer.makeOptimizer()
        let parameterBytes = architecture.parameterCount * MemoryLayout<Float>.size
        let stateBytes = parameterBytes * optimizer.stateCount
        lines.append("  memory: parameters \(ExplanationFormat.megabytes(parameterBytes)) (Float32) + \(optimizer.name) state \(ExplanationFormat.megabytes(stateBytes))"
                     + " (\(optimizer.stateCount) buffer\(optimizer.stateCount == 1 ? "" : "s")) = \(ExplanationFormat.megabytes(parameterBytes + stateBytes))")
        return lines
    }

    /// Each layer's initialiser with its bound or standard deviation for that layer's fan-in/fan-out.
    static func initialisation(_ model: ModelDescription, configuration: TrainingConfiguration) -> [String] {
        let how = configuration.initializer == nil
            ? "the default for each layer's activation: He for the ReLU family, Glorot uniform otherwise; --init overrides"
            : "--init \(configuration.initializer.map(String.init(describing:)) ?? "")"
        var lines = ["initialisation (\(how)); biases start at 0; n = fan-in, m = fan-out:"]
        for (index, (layer, initializer)) in zip(model.architecture.layers, model.initializers).enumerated() {
            let text = ExplanationFormulas.initializer(initializer, fanIn: layer.inputs, fanOut: layer.outputs).text
            lines.append("  layer \(index + 1) (\(layer.inputs)→\(layer.outputs)): \(text)")
        }
        return lines
    }

    /// Symmetric hidden-layer weights, and vanishing gradients in deep sigmoid/tanh networks.
    static func warnings(_ model: ModelDescription, configuration: TrainingConfiguration) -> [String] {
        var lines: [String] = []
        let hiddenCount = configuration.hidden.count
        if hiddenCount > 0, let initializer = configuration.initializer, initializer.isSymmetric {
            lines.append("warning: \(initializer) gives every unit of a hidden layer the same weights; they receive identical gradients and stay identical (symmetric), so each layer learns as one unit. Use a random initialiser (the default, he_normal or glorot_uniform)")
        }
        let slope: Double? = switch configuration.activation {
        case .sigmoid: 0.25
        case .tanh: 1
        default: nil
        }
        if let slope, hiddenCount >= 5 {
            // Backward, each hidden layer scales the gradient by about f′·σ_w·√(fan-out of the next layer); f′ ≤ slope.
            let layers = model.architecture.layers
            var gain = 1.0
            for index in 1...hiddenCount {
                let rms = ExplanationFormulas.initializer(model.initializers[index], fanIn: layers[index].inputs, fanOut: layers[index].outputs).rms
                gain *= slope * rms * Double(layers[index].outputs).squareRoot()
            }
            if gain < 0.01 {
                lines.append("warning: \(hiddenCount) \(configuration.activation) hidden layers with this initialisation risk vanishing gradients: backward, each layer multiplies the gradient by at most f′·σ_w·√fan-out (\(configuration.activation)′ ≤ \(ExplanationFormat.plain(slope))), so the gradient reaching the first layer is at most about \(ExplanationFormat.significant(gain, 2))× the output layer's. Use relu with he_normal, fewer layers, or a larger initialisation")
            }
        }
        return lines
    }
}
