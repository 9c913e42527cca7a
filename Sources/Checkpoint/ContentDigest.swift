import Data
import NeuralNet
import Optimizers
import Training

/// The digest a version-2 checkpoint stores as `content_checksum`: FNV-1a 64 over everything in the
/// file that changes what the model computes or where a resumed run goes — task, loss, the
/// architecture and activations, parameters, normalisation, optimizer state, every training
/// setting, the progress and history, and the data fingerprint. The bytes are a canonical encoding
/// of the values as the file gives them back, so a file that reads back differently in any of
/// them (a flipped byte, an edited attribute) is refused. Where the data came from is left out: a
/// dataset may move, and its fingerprint is checked on resume.
struct ContentDigest {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    /// - Parameter loss: the root's `loss` attribute as stored.
    static func of(_ state: TrainingState, loss: String) -> UInt64 {
        var digest = ContentDigest()
        digest.add("h5train content v2")
        digest.add("\(state.model.task.rawValue) \(loss) epoch \(state.epoch) step \(state.step)")
        digest.addModel(state)
        if let configuration = state.configuration { digest.addSettings(configuration) }
        if let progress = state.progress { digest.addProgress(progress) }
        if let fingerprint = state.fingerprint {
            digest.add("fingerprint \(fingerprint.rows) \(fingerprint.featureCount) \(fingerprint.targetWidth) \(fingerprint.hash)")
        }
        return digest.value
    }

    private mutating func addModel(_ state: TrainingState) {
        let architecture = state.model.architecture
        add(([architecture.inputSize] + architecture.layers.map(\.outputs)).map(String.init).joined(separator: ","))
        add(architecture.layers.map(\.activation.description).joined(separator: ","))
        add(architecture.pytorchOrder(state.parameters))
        switch state.normalization {
        case .none: add("normalization none")
        case .scale(let factor): add("normalization scale \(Double(factor).bitPattern)")
        case .standardize(let mean, let std):
            add("normalization standardize")
            add(mean)
            add(std)
        }
        add(architecture.pytorchOrder(state.optimizerState))
    }

    /// Every setting, by the names and values inspect reports (optimizer and schedule fields from
    /// their kinds), so a setting edited in the file changes the digest.
    private mutating func addSettings(_ c: TrainingConfiguration) {
        let optimizer = CheckpointSummary.optimizerFields(c.optimizer).map { "\($0.0)=\(CheckpointSummary.plain($0.1))" }
        let schedule = CheckpointSummary.scheduleFields(c.schedule).map { "\($0.0)=\(CheckpointSummary.plain($0.1))" }
        add("optimizer \(c.optimizer.kind.rawValue) " + optimizer.joined(separator: " "))
        add("schedule \(c.schedule.kind.rawValue) " + schedule.joined(separator: " "))
        add("""
            hidden \(c.hidden) \(c.resolvedHiddenActivations) dropout \(c.dropout.bitPattern) init \(c.initializer.map(String.init(describing:)) ?? "-") \
            loss \(c.loss.map(String.init(describing:)) ?? "-") smoothing \(c.labelSmoothing.bitPattern) \
            weights \(c.classWeights?.map(\.bitPattern) ?? []) epochs \(c.epochs) batch \(c.batchSize) \
            lr \(c.learningRate?.bitPattern ?? 0) seed \(c.seed) shard \(c.shardSize) \
            clip \(c.health.clipNorm?.bitPattern ?? 0) \(c.health.clipValue?.bitPattern ?? 0) \(c.health.onNonFinite) \
            early \(c.earlyStopPatience ?? -1) best \(c.saveBest?.rawValue ?? "-")
            """)
    }

    private mutating func addProgress(_ p: TrainingProgress) {
        add("progress \(p.epoch) \(p.stepInEpoch) \(p.epochLossSum.bitPattern) \(p.epochSamples) \(p.epochSkipped) "
            + "\(p.bestValidationLoss.bitPattern) \(p.epochsWithoutImprovement) \(p.bestSavedMetric?.bitPattern ?? 0)")
        if let window = p.window { add("window \(window.blockRows) \(window.blocksPerWindow)") }
        if let plateau = p.plateau {
            add("plateau \(plateau.best.bitPattern) \(plateau.badEpochs) \(plateau.cooldownCounter) \(plateau.currentRate.bitPattern) \(plateau.epochs)")
        }
        for m in p.history {
            let optional = [m.validationLoss, m.validationAccuracy, m.validationMAE].map { $0?.bitPattern ?? Double.nan.bitPattern }
            add("epoch \(m.epoch) \(m.step) \(m.trainLoss.bitPattern) \(optional) \(m.learningRate.bitPattern) "
                + "\(m.samplesPerSecond.bitPattern) \(m.seconds.bitPattern)")
        }
    }

    private mutating func add(_ text: String) {
        for byte in text.utf8 { mix(byte) }
        mix(0)  // ends the field, so "ab","c" and "a","bc" differ
    }

    private mutating func add(_ values: [Float]) {
        for value in values {
            var bits = value.bitPattern
            for _ in 0..<4 {
                mix(UInt8(bits & 0xFF))
                bits >>= 8
            }
        }
        mix(0)
    }

    @inline(__always)
    private mutating func mix(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
}
