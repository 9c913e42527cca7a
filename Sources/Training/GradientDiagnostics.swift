import Data
import DataParallel
import Foundation
import NeuralNet
import Optimizers
import Settings

/// Per-layer gradient health, gathered every step and reported after each epoch (`diagnostics`):
/// weight norm, mean gradient norm, the epoch's update relative to the weights, the fraction of
/// dead ReLU units, and plain-words warnings for vanishing and exploding gradients.
final class GradientDiagnostics {
    private let architecture: NetworkArchitecture
    /// Scratch for one step's per-layer Σ squares (reused, never reallocated).
    private var stepSquares: [Double]
    private var normSums: [Double]
    private var steps = 0
    private var epochStartParameters: [Float] = []
    private var previousMeanNorms: [Double]?

    init(architecture: NetworkArchitecture) {
        self.architecture = architecture
        stepSquares = [Double](repeating: 0, count: architecture.layers.count)
        normSums = stepSquares
    }

    func beginEpoch(parameters: [Float]) {
        epochStartParameters = parameters
        for i in normSums.indices { normSums[i] = 0 }
        steps = 0
    }

    /// Adds the last step's per-layer gradient norms.
    func record(_ engine: StepEngine) {
        engine.layerGradientSquares(into: &stepSquares)
        for i in normSums.indices { normSums[i] += stepSquares[i].squareRoot() }
        steps += 1
    }

    /// The epoch's report: one line per layer, then warnings.
    func report(parameters: [Float], probe: SampleSet, engine: StepEngine) -> [SettingText] {
        let meanNorms = normSums.map { $0 / Double(max(steps, 1)) }
        let dead = deadFractions(parameters: parameters, probe: probe)
        var lines: [SettingText] = [SettingText("  layer".padding(20) + "‖W‖".padding(12) + "mean ‖∇W‖".padding(12) + "‖ΔW‖/‖W‖".padding(11) + "dead ReLUs")]
        for (l, layer) in architecture.layers.enumerated() {
            let weights = architecture.weightOffsets[l]..<architecture.biasOffset(l)
            let norm = Self.norm(parameters[weights])
            let change = Self.distance(parameters[weights], epochStartParameters[weights])
            let deadText = dead[l].map { String(format2: $0 * 100, 1) + "%" } ?? "–"
            lines.append(SettingText("  \(l + 1) \(layer.inputs)→\(layer.outputs) \(layer.activation)".padding(20)
                                     + format(norm).padding(12) + format(meanNorms[l]).padding(12)
                                     + format(norm > 0 ? change / norm : 0).padding(11) + deadText))
        }
        lines += warnings(meanNorms: meanNorms, dead: dead)
        previousMeanNorms = meanNorms
        return lines
    }

    private func warnings(meanNorms: [Double], dead: [Double?]) -> [SettingText] {
        var warnings: [SettingText] = []
        let first = meanNorms.first ?? 0, last = meanNorms.last ?? 0
        if meanNorms.count >= 3, last > 0, first / last < 1e-3 {
            let perLayer = pow(first / last, 1 / Double(meanNorms.count - 1))
            warnings.append("  warning: vanishing gradients — the gradient norm falls from \(format(last)) at the last layer to \(format(first)) at the first (×\(format(perLayer)) per layer), so the early layers barely learn. Use ReLU layers with He initialisation (\(.activation) relu), or fewer layers.")
        }
        if let previous = previousMeanNorms {
            for (l, (now, before)) in zip(meanNorms, previous).enumerated() where now > 100 && now > 10 * before {
                warnings.append("  warning: exploding gradients — layer \(l + 1)'s gradient norm grew from \(format(before)) to \(format(now)) in one epoch. Try a smaller \(.learningRate) or \(.clipNorm) 1.")
            }
        }
        if meanNorms.contains(where: { !$0.isFinite }) {
            warnings.append("  warning: non-finite gradients this epoch")
        }
        for (l, fraction) in dead.enumerated() {
            if let fraction, fraction > 0.5 {
                warnings.append("  warning: \(String(format2: fraction * 100, 0))% of layer \(l + 1)'s ReLU units output zero for every probe sample (dead); a smaller \(.learningRate) or leaky_relu helps.")
            }
        }
        return warnings
    }

    /// For ReLU-family hidden layers: the fraction of units whose output is ≤ 0 for every probe row.
    private func deadFractions(parameters: [Float], probe: SampleSet) -> [Double?] {
        let rows = min(probe.rows, 512)
        guard rows > 0 else { return architecture.layers.map { _ in nil } }
        let workspace = NetworkPass(architecture: architecture, capacity: rows)
        let features = probe.matrix.floatValues(rows: 0..<rows)
        parameters.withUnsafeBufferPointer { p in
            features.withUnsafeBufferPointer { x in
                _ = workspace.forward(parameters: p.baseAddress!, input: x.baseAddress!, rows: rows)
            }
        }
        return architecture.layers.enumerated().map { l, layer -> Double? in
            switch layer.activation {
            case .relu, .leakyReLU:
                guard l < architecture.layers.count - 1 else { return nil }
                let y = workspace.activations(ofLayer: l)
                var deadUnits = 0
                for unit in 0..<layer.outputs where !(0..<rows).contains(where: { y[$0 * layer.outputs + unit] > 0 }) {
                    deadUnits += 1
                }
                return Double(deadUnits) / Double(layer.outputs)
            default:
                return nil
            }
        }
    }

    private static func norm(_ values: ArraySlice<Float>) -> Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    private static func distance(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    }

    private func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        if value == 0 { return "0" }
        if abs(value) >= 1e-3 && abs(value) < 1e4 { return String(format2: value, abs(value) < 1 ? 4 : 2) }
        let exponent = Int(saturating: log10(abs(value)).rounded(.down))
        var mantissa = value
        for _ in 0..<abs(exponent) { mantissa = exponent > 0 ? mantissa / 10 : mantissa * 10 }
        return String(format2: mantissa, 2) + "e\(exponent)"
    }
}

extension String {
    /// Pads with spaces on the right to at least `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
