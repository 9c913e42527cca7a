import HDF5
import NeuralNet

extension TrainingConfiguration {
    /// Stores every setting as an attribute of `group` (the checkpoint's /training).
    func writeAttributes(to group: Group) throws(HDF5Error) {
        try group.setAttribute("hidden", hidden)
        try group.setAttribute("activation", activation.description)
        try group.setAttribute("init", initializer?.description ?? "default")
        try group.setAttribute("loss", loss?.description ?? "default")
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
        initializer = Initializer(name: try group.stringAttribute("init"))
        loss = Loss(name: try group.stringAttribute("loss"))
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
        try group.setAttribute("optimizer", name)
        try group.setAttribute("momentum", momentum ?? (name == "sgd" ? sgdMomentum : 0))
        try group.setAttribute("dampening", dampening)
        try group.setAttribute("nesterov", nesterov ? 1 : 0)
        try group.setAttribute("weight_decay", weightDecay ?? (name == "adamw" ? 0.01 : 0))
        try group.setAttribute("betas", [beta1, beta2])
        if let eps { try group.setAttribute("eps", eps) }
        try group.setAttribute("alpha", alpha)
        try group.setAttribute("centered", centered ? 1 : 0)
        try group.setAttribute("rho", rho)
        try group.setAttribute("lr_decay", lrDecay)
        try group.setAttribute("momentum_decay", momentumDecay)
    }

    init(attributesOf group: Group) throws(HDF5Error) {
        self.init()
        name = try group.stringAttribute("optimizer")
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
    }
}

extension ScheduleSettings {
    /// Stores the schedule's name and parameters.
    func writeAttributes(to group: Group) throws(HDF5Error) {
        try group.setAttribute("schedule", name)
        try group.setAttribute("lr_step_epochs", stepEpochs ?? 0)
        try group.setAttribute("lr_gamma", gamma)
    }

    init(attributesOf group: Group) throws(HDF5Error) {
        self.init()
        name = try group.stringAttribute("schedule")
        let step = try group.intAttribute("lr_step_epochs")
        stepEpochs = step > 0 ? step : nil
        gamma = try group.doubleAttribute("lr_gamma")
    }
}
