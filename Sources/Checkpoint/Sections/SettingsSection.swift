import HDF5
import NeuralNet
import Optimizers
import Training

extension TrainingConfiguration {
    /// Stores every setting as an attribute of `group` (the checkpoint's /training).
    func writeAttributes(to group: Group) throws(HDF5Error) {
        try group.setAttribute("hidden", hidden)
        try group.setAttribute("activation", activation.description)
        try group.setAttribute("dropout", Double(dropout))
        if let hiddenActivations {
            try group.setAttribute("hidden_activations", hiddenActivations.map(\.description).joined(separator: ";"))
        }
        try group.setAttribute("init", initializer?.description ?? "default")
        try group.setAttribute("loss", loss?.description ?? "default")
        try group.setAttribute("label_smoothing", Double(labelSmoothing))
        if let classWeights { try group.setAttribute("class_weights", classWeights.map(Double.init)) }
        try group.setAttribute("epochs", epochs)
        try group.setAttribute("batch_size", batchSize)
        try group.setAttribute("lr", Double(resolvedLearningRate))
        try optimizer.writeAttributes(to: group)
        try schedule.writeAttributes(to: group)
        try group.setAttribute("seed", Int(bitPattern: UInt(seed)))
        try group.setAttribute("workers", workers)
        try group.setAttribute("shard_size", shardSize)
    }

    /// Reads the settings `writeAttributes` stored.
    init(attributesOf group: Group) throws(HDF5Error) {
        self.init()
        hidden = try group.intArrayAttribute("hidden")
        activation = Activation(name: try group.stringAttribute("activation")) ?? .relu
        dropout = group.hasAttribute("dropout") ? Float(try group.doubleAttribute("dropout")) : 0
        if group.hasAttribute("hidden_activations") {
            hiddenActivations = try group.stringAttribute("hidden_activations").split(separator: ";").compactMap { Activation(name: String($0)) }
        }
        initializer = Initializer(name: try group.stringAttribute("init"))
        loss = Loss(name: try group.stringAttribute("loss"))
        // Absent from checkpoints written before cross-entropy had options: plain cross-entropy.
        labelSmoothing = group.hasAttribute("label_smoothing") ? Float(try group.doubleAttribute("label_smoothing")) : 0
        classWeights = group.hasAttribute("class_weights") ? try group.doubleArrayAttribute("class_weights").map(Float.init) : nil
        epochs = try group.intAttribute("epochs")
        batchSize = try group.intAttribute("batch_size")
        learningRate = Float(try group.doubleAttribute("lr"))
        optimizer = try OptimizerSettings(attributesOf: group)
        schedule = try ScheduleSettings(attributesOf: group)
        seed = UInt64(UInt(bitPattern: try group.intAttribute("seed")))
        workers = try group.intAttribute("workers")
        shardSize = try group.intAttribute("shard_size")
    }
}

extension OptimizerSettings {
    /// Stores the optimizer's name and every hyper-parameter (resolved defaults included).
    func writeAttributes(to group: Group) throws(HDF5Error) {
        try group.setAttribute("optimizer", kind.rawValue)
        try group.setAttribute("momentum", resolvedMomentum)
        try group.setAttribute("dampening", dampening)
        try group.setAttribute("nesterov", nesterov ? 1 : 0)
        try group.setAttribute("weight_decay", resolvedWeightDecay)
        try group.setAttribute("betas", [beta1, beta2])
        if let eps { try group.setAttribute("eps", eps) }
        try group.setAttribute("alpha", alpha)
        try group.setAttribute("centered", centered ? 1 : 0)
        try group.setAttribute("rho", rho)
        try group.setAttribute("lr_decay", lrDecay)
        try group.setAttribute("momentum_decay", momentumDecay)
        try group.setAttribute("initial_accumulator_value", initialAccumulator)
        try group.setAttribute("decoupled_weight_decay", decoupledWeightDecay ? 1 : 0)
    }

    init(attributesOf group: Group) throws(HDF5Error) {
        self.init()
        let name = try group.stringAttribute("optimizer")
        guard let kind = OptimizerKind(rawValue: name) else {
            throw HDF5Error(.library, call: "optimizer", file: group.file, object: group.name,
                            detail: "unknown optimizer '\(name)'; this h5train knows \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.kind = kind
        momentum = try group.doubleAttribute("momentum")
        dampening = try group.doubleAttribute("dampening")
        nesterov = try group.intAttribute("nesterov") != 0
        weightDecay = try group.doubleAttribute("weight_decay")
        let betas = try group.doubleArrayAttribute("betas")
        if betas.count == 2 { (beta1, beta2) = (betas[0], betas[1]) }
        eps = group.hasAttribute("eps") ? try group.doubleAttribute("eps") : nil
        alpha = try group.doubleAttribute("alpha")
        centered = try group.intAttribute("centered") != 0
        rho = try group.doubleAttribute("rho")
        lrDecay = try group.doubleAttribute("lr_decay")
        momentumDecay = try group.doubleAttribute("momentum_decay")
        if group.hasAttribute("initial_accumulator_value") { initialAccumulator = try group.doubleAttribute("initial_accumulator_value") }
        if group.hasAttribute("decoupled_weight_decay") { decoupledWeightDecay = try group.intAttribute("decoupled_weight_decay") != 0 }
    }
}

extension ScheduleSettings {
    /// Stores the schedule's name and every parameter. Optional values (nil: the schedule's
    /// default, or "not given") are written only when set, so reading gives back an equal value.
    func writeAttributes(to group: Group) throws(HDF5Error) {
        func optional(_ name: String, _ value: Double?) throws(HDF5Error) { if let value { try group.setAttribute(name, value) } }
        func optional(_ name: String, _ value: Int?) throws(HDF5Error) { if let value { try group.setAttribute(name, value) } }
        try group.setAttribute("schedule", kind.rawValue)
        try group.setAttribute("lr_step_epochs", stepEpochs ?? 0)
        try optional("lr_gamma", gamma)
        try group.setAttribute("milestones", milestones)
        try group.setAttribute("power", power)
        try group.setAttribute("start_factor", startFactor)
        try group.setAttribute("end_factor", endFactor)
        try group.setAttribute("total_epochs", totalEpochs)
        try group.setAttribute("eta_min", etaMin)
        try optional("t_max_epochs", tMaxEpochs)
        try optional("t0_epochs", t0Epochs)
        try group.setAttribute("t_mult", tMult)
        try optional("base_lr", baseRate)
        try group.setAttribute("step_size_up", stepSizeUp)
        try optional("step_size_down", stepSizeDown)
        try group.setAttribute("cyclic_mode", cyclicMode)
        try group.setAttribute("cycle_momentum", cycleMomentum ? 1 : 0)
        try optional("base_momentum", baseMomentum)
        try optional("max_momentum", maxMomentum)
        try group.setAttribute("pct_start", pctStart)
        try group.setAttribute("anneal_strategy", anneal)
        try group.setAttribute("div_factor", divFactor)
        try group.setAttribute("final_div_factor", finalDivFactor)
        try group.setAttribute("three_phase", threePhase ? 1 : 0)
        try group.setAttribute("plateau_factor", factor)
        try group.setAttribute("patience", patience)
        try group.setAttribute("threshold", threshold)
        try group.setAttribute("cooldown", cooldown)
        try group.setAttribute("min_lr", minRate)
        try optional("warmup_steps", warmupSteps)
        try optional("warmup_epochs", warmupEpochs)
        try group.setAttribute("warmup_start_factor", warmupStartFactor)
        try optional("lr_batch_reference", batchScalingReference)
    }

    /// Reads what `writeAttributes` stored; attributes missing from older checkpoints (which had
    /// only `schedule`, `lr_step_epochs` and `lr_gamma`) keep their defaults.
    init(attributesOf group: Group) throws(HDF5Error) {
        self.init()
        func double(_ name: String) throws(HDF5Error) -> Double? { group.hasAttribute(name) ? try group.doubleAttribute(name) : nil }
        func int(_ name: String) throws(HDF5Error) -> Int? { group.hasAttribute(name) ? try group.intAttribute(name) : nil }
        func string(_ name: String) throws(HDF5Error) -> String? { group.hasAttribute(name) ? try group.stringAttribute(name) : nil }
        let name = try group.stringAttribute("schedule")
        guard let kind = ScheduleKind(rawValue: name) else {
            throw HDF5Error(.library, call: "schedule", file: group.file, object: group.name,
                            detail: "unknown schedule '\(name)'; this h5train knows \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.kind = kind
        let step = try group.intAttribute("lr_step_epochs")
        stepEpochs = step > 0 ? step : nil
        gamma = try double("lr_gamma")
        if group.hasAttribute("milestones") { milestones = try group.intArrayAttribute("milestones") }
        power = try double("power") ?? power
        startFactor = try double("start_factor") ?? startFactor
        endFactor = try double("end_factor") ?? endFactor
        totalEpochs = try int("total_epochs") ?? totalEpochs
        etaMin = try double("eta_min") ?? etaMin
        tMaxEpochs = try int("t_max_epochs")
        t0Epochs = try int("t0_epochs")
        tMult = try int("t_mult") ?? tMult
        baseRate = try double("base_lr")
        stepSizeUp = try int("step_size_up") ?? stepSizeUp
        stepSizeDown = try int("step_size_down")
        cyclicMode = try string("cyclic_mode") ?? cyclicMode
        cycleMomentum = try int("cycle_momentum").map { $0 != 0 } ?? cycleMomentum
        baseMomentum = try double("base_momentum")
        maxMomentum = try double("max_momentum")
        pctStart = try double("pct_start") ?? pctStart
        anneal = try string("anneal_strategy") ?? anneal
        divFactor = try double("div_factor") ?? divFactor
        finalDivFactor = try double("final_div_factor") ?? finalDivFactor
        threePhase = try int("three_phase").map { $0 != 0 } ?? threePhase
        factor = try double("plateau_factor") ?? factor
        patience = try int("patience") ?? patience
        threshold = try double("threshold") ?? threshold
        cooldown = try int("cooldown") ?? cooldown
        minRate = try double("min_lr") ?? minRate
        warmupSteps = try int("warmup_steps")
        warmupEpochs = try int("warmup_epochs")
        warmupStartFactor = try double("warmup_start_factor") ?? warmupStartFactor
        batchScalingReference = try int("lr_batch_reference")
    }
}
