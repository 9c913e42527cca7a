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
        try group.setAttribute("optimizer", "sgd")
        try group.setAttribute("lr", Double(learningRate))
        try group.setAttribute("momentum", Double(momentum))
        try group.setAttribute("weight_decay", Double(weightDecay))
        try group.setAttribute("nesterov", nesterov ? 1 : 0)
        try group.setAttribute("lr_step_epochs", lrStepEpochs ?? 0)
        try group.setAttribute("lr_gamma", Double(lrGamma))
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
        momentum = Float(try group.doubleAttribute("momentum"))
        weightDecay = Float(try group.doubleAttribute("weight_decay"))
        nesterov = try group.intAttribute("nesterov") != 0
        let stepEpochs = try group.intAttribute("lr_step_epochs")
        lrStepEpochs = stepEpochs > 0 ? stepEpochs : nil
        lrGamma = Float(try group.doubleAttribute("lr_gamma"))
        seed = UInt64(UInt(bitPattern: try group.intAttribute("seed")))
        workers = try group.intAttribute("workers")
        shardSize = try group.intAttribute("shard_size")
    }
}
