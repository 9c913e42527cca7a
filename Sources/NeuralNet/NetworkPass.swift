/// Preallocated per-layer buffers for up to `capacity` rows, and the passes that use them.
///
/// Buffers (row-major Float32, row r of the batch at offset r × width):
///
///     activations[l]  (capacity × layers[l].outputs)   y_l, the output of layer l (logits for a fused loss)
///     deltas[l]       (capacity × layers[l].outputs)   δ_l = ∂L/∂z_l, the gradient at layer l's pre-activation
///     preActivations[l] (capacity × layers[l].outputs) z_l = x·W + b, only for layers whose activation
///                                                      `needsInput` (GELU, SiLU); nil for the others
///     dropped[l]      (capacity × layers[l].outputs)   y_l after dropout (the next layer's input while
///                                                      training), only for layers with dropout
///
/// Backpropagation is split in two so it can run data-parallel without any per-worker gradient copy:
///  1. `backpropagateDeltas` on disjoint row ranges (micro-shards), concurrently: forward pass, loss,
///     and δ of every layer for those rows;
///  2. `parameterGradients` on disjoint `GradientBlock`s, concurrently: ∂W = xᵀ·δ and ∂b = Σ δ over
///     the whole batch, for that block's weight rows (and the layer's biases in its first block).
/// Nothing here allocates.
public final class NetworkPass: @unchecked Sendable {
    public let architecture: NetworkArchitecture
    public let capacity: Int
    /// The kernels every matrix product of the passes runs on.
    public let products: MatrixProducts
    private let activations: [UnsafeMutablePointer<Float>]
    private let deltas: [UnsafeMutablePointer<Float>]
    private let preActivations: [UnsafeMutablePointer<Float>?]
    private let dropped: [UnsafeMutablePointer<Float>?]

    /// - Parameters:
    ///   - capacity: the most rows (batch size) the buffers hold.
    ///   - products: the matrix-product kernels (default: the process's choice).
    public init(architecture: NetworkArchitecture, capacity: Int, products: MatrixProducts = .current) {
        precondition(capacity > 0, "workspace capacity must be positive")
        self.architecture = architecture
        self.capacity = capacity
        self.products = products
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            return pointer
        }
        activations = architecture.layers.map { buffer(capacity * $0.outputs) }
        deltas = architecture.layers.map { buffer(capacity * $0.outputs) }
        preActivations = architecture.layers.map { $0.activation.needsInput ? buffer(capacity * $0.outputs) : nil }
        dropped = architecture.layers.map { $0.dropout > 0 ? buffer(capacity * $0.outputs) : nil }
    }

    deinit {
        activations.forEach { $0.deallocate() }
        deltas.forEach { $0.deallocate() }
        preActivations.forEach { $0?.deallocate() }
        dropped.forEach { $0?.deallocate() }
    }

    /// The output y of layer `layer` for the rows of the last forward pass (row r at r × outputs).
    public func activations(ofLayer layer: Int) -> UnsafePointer<Float> {
        UnsafePointer(activations[layer])
    }

    /// The row buffers phase 2 reads for layer `layer`: its δ, and, for every layer but the first,
    /// its input (the previous layer's output, after dropout when `afterDropout`), each
    /// (capacity × width) — for copying rows between processes.
    public func gradientOperands(ofLayer layer: Int, afterDropout: Bool)
        -> (delta: UnsafeMutablePointer<Float>, input: UnsafeMutablePointer<Float>?) {
        let previous = layer - 1
        let input = layer == 0 ? nil : afterDropout ? dropped[previous] ?? activations[previous] : activations[previous]
        return (deltas[layer], input)
    }

    /// Runs the network on `input` rows `rows` (input is the batch base, rows × inputSize) and returns
    /// a pointer to the output of the first of those rows (valid until the buffers are reused).
    ///
    /// - Parameters:
    ///   - skipOutputActivation: leave the last layer un-activated (logits), as fused losses want.
    ///   - dropout: the training pass's mask key; nil (evaluation, prediction) applies no dropout.
    @discardableResult
    public func forward(
        parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, rows: Range<Int>,
        skipOutputActivation: Bool = false, dropout: DropoutKey? = nil
    ) -> UnsafePointer<Float> {
        precondition(!rows.isEmpty && rows.upperBound <= capacity, "forward: rows \(rows) outside workspace capacity \(capacity)")
        let count = rows.count
        var x = input + rows.lowerBound * architecture.inputSize
        let last = architecture.layers.count - 1
        for (l, layer) in architecture.layers.enumerated() {
            let y = activations[l] + rows.lowerBound * layer.outputs  // count × outputs
            // y = x · W   (count × in)·(in × out)
            products.gemm(.none, .none, m: count, n: layer.outputs, k: layer.inputs,
                      a: x, lda: layer.inputs,
                      b: parameters + architecture.weightOffsets[l], ldb: layer.outputs,
                      c: y, ldc: layer.outputs)
            let activation = (l == last && skipOutputActivation) ? Activation.identity : layer.activation
            activation.addBiasAndApply(y, bias: parameters + architecture.biasOffset(l), rows: count, columns: layer.outputs,
                                       keepingInputIn: activation.needsInput ? preActivations[l].map { $0 + rows.lowerBound * layer.outputs } : nil)
            x = UnsafePointer(y)
            if let dropout, let kept = dropped[l] {
                let out = kept + rows.lowerBound * layer.outputs
                dropout.apply(to: out, from: y, firstRow: rows.lowerBound, rows: count, columns: layer.outputs,
                              layer: l, probability: layer.dropout)
                x = UnsafePointer(out)
            }
        }
        return x
    }

    /// Forward pass over rows 0..<rows.
    @discardableResult
    public func forward(parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, rows: Int,
                        skipOutputActivation: Bool = false) -> UnsafePointer<Float> {
        forward(parameters: parameters, input: input, rows: 0..<rows, skipOutputActivation: skipOutputActivation)
    }

    /// Phase 1 for batch rows `rows`: forward pass, then δ of every layer for those rows.
    /// Returns Σ over those rows of the per-sample loss and of their weights (`Loss.lossSum`); the
    /// δ are those of the loss *sum*, so phase 2 scales by 1 / (the batch's total weight).
    ///
    /// - Parameters:
    ///   - input: batch base, (batch rows × inputSize).
    ///   - targets: batch base, (batch rows × (1 for class losses, else outputSize)).
    ///   - dropout: the step's mask key, when the network uses dropout.
    public func backpropagateDeltas(
        parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, targets: UnsafePointer<Float>,
        rows: Range<Int>, loss: Loss, dropout: DropoutKey? = nil
    ) -> LossSum {
        let lossSum = forwardWithLoss(parameters: parameters, input: input, targets: targets, rows: rows,
                                      loss: loss, dropout: dropout)
        backpropagateHiddenDeltas(parameters: parameters, rows: rows, dropout: dropout)
        return lossSum
    }

    /// The first half of `backpropagateDeltas`: the forward pass, the loss, and δ of the output layer.
    public func forwardWithLoss(
        parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, targets: UnsafePointer<Float>,
        rows: Range<Int>, loss: Loss, dropout: DropoutKey? = nil
    ) -> LossSum {
        let last = architecture.layers.count - 1
        let fused = loss.fusedActivation != nil
        let output = forward(parameters: parameters, input: input, rows: rows, skipOutputActivation: fused, dropout: dropout)
        let width = architecture.layers[last].outputs, targetWidth = loss.usesClassIndices ? 1 : width
        let outputDelta = deltas[last] + rows.lowerBound * width
        let lossSum = loss.lossSum(outputs: output, targets: targets + rows.lowerBound * targetWidth,
                                   rows: rows.count, width: width, gradient: outputDelta)
        if !fused {
            architecture.layers[last].activation.backward(input: preActivation(last, rows), output: output,
                                                          gradient: outputDelta, rows: rows.count, columns: width)
        }
        return lossSum
    }

    /// The second half of `backpropagateDeltas`: δ of every hidden layer from the output layer's δ,
    /// for the same rows and dropout key as the `forwardWithLoss` before it.
    public func backpropagateHiddenDeltas(parameters: UnsafePointer<Float>, rows: Range<Int>, dropout: DropoutKey? = nil) {
        let layers = architecture.layers
        let last = layers.count - 1
        for l in stride(from: last, to: 0, by: -1) {  // the input needs no δ
            let layer = layers[l]
            let delta = deltas[l] + rows.lowerBound * layer.outputs          // count × out
            let previous = deltas[l - 1] + rows.lowerBound * layer.inputs    // count × in
            // δ_{l−1} = (δ_l · W_lᵀ) ⊙ act′(y_{l−1})   (count × out)·(out × in)
            products.gemm(.none, .transposed, m: rows.count, n: layer.inputs, k: layer.outputs,
                      a: delta, lda: layer.outputs, b: parameters + architecture.weightOffsets[l], ldb: layer.outputs,
                      c: previous, ldc: layer.inputs)
            if let dropout, layers[l - 1].dropout > 0 {  // through the mask: the same factors again
                dropout.apply(to: previous, from: previous, firstRow: rows.lowerBound, rows: rows.count,
                              columns: layer.inputs, layer: l - 1, probability: layers[l - 1].dropout)
            }
            layers[l - 1].activation.backward(input: preActivation(l - 1, rows), output: activations[l - 1] + rows.lowerBound * layer.inputs,
                                              gradient: previous, rows: rows.count, columns: layer.inputs)
        }
    }

    /// Layer l's kept pre-activation for batch rows `rows` (nil when its activation does not need it).
    @inline(__always)
    private func preActivation(_ l: Int, _ rows: Range<Int>) -> UnsafePointer<Float>? {
        preActivations[l].map { UnsafePointer($0 + rows.lowerBound * architecture.layers[l].outputs) }
    }

    /// Phase 2 for one block: `scale`·∂(Σ loss)/∂(the block's weights and biases) over batch rows
    /// 0..<batchRows, written into `gradients` (the flat parameter-gradient buffer) at the block's ranges.
    ///
    /// - Parameter afterDropout: phase 1 ran with a dropout key, so the layers' inputs are their
    ///   predecessors' dropped outputs.
    public func parameterGradients(
        input: UnsafePointer<Float>, batchRows: Int, block: GradientBlock, scale: Float,
        into gradients: UnsafeMutablePointer<Float>, afterDropout: Bool = false
    ) {
        let layer = architecture.layers[block.layer]
        // batchRows × in: the previous layer's output as the forward pass fed it on (after dropout)
        let previous = block.layer - 1
        let x = block.layer == 0 ? input : UnsafePointer(afterDropout ? dropped[previous] ?? activations[previous] : activations[previous])
        let delta = deltas[block.layer]                                                  // batchRows × out
        // ∂W[inputs, :] = scale · x[:, inputs]ᵀ · δ   (inputs × rows)·(rows × out)
        products.gemm(.transposed, .none, m: block.inputs.count, n: layer.outputs, k: batchRows, alpha: scale,
                  a: x + block.inputs.lowerBound, lda: layer.inputs, b: delta, ldb: layer.outputs,
                  c: gradients + block.weightRange.lowerBound, ldc: layer.outputs)
        // ∂b = scale · Σ_rows δ, in the layer's first block
        guard !block.biasRange.isEmpty else { return }
        let biasGradient = gradients + block.biasRange.lowerBound
        let units = block.biasRange.count
        biasGradient.update(repeating: 0, count: units)
        for r in 0..<batchRows {
            let row = delta + r * layer.outputs
            @inline(__always) func group(_ i: Int, _ n: Int) {
                storeLanes(loadLanes(biasGradient, i, n) + loadLanes(row, i, n), biasGradient, i, n)
            }
            forEachLaneGroup(units, group)
        }
        @inline(__always) func group(_ i: Int, _ n: Int) { storeLanes(loadLanes(biasGradient, i, n) * scale, biasGradient, i, n) }
        forEachLaneGroup(units, group)
    }

    /// The gradient of Σ_rows loss with respect to every parameter, into `gradients` (parameterCount
    /// floats, overwritten), on this thread; returns that loss sum (with class weights Σ w_t·ℓ,
    /// not divided by Σ w_t).
    ///
    /// - Parameters:
    ///   - input: rows × inputSize.
    ///   - targets: rows × (1 for class losses, else outputSize).
    public func gradients(
        parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, targets: UnsafePointer<Float>,
        rows: Int, loss: Loss, into gradients: UnsafeMutablePointer<Float>, dropout: DropoutKey? = nil
    ) -> Double {
        let lossSum = backpropagateDeltas(parameters: parameters, input: input, targets: targets, rows: 0..<rows,
                                          loss: loss, dropout: dropout).loss
        for block in architecture.gradientBlocks() {
            parameterGradients(input: input, batchRows: rows, block: block, scale: 1, into: gradients,
                               afterDropout: dropout != nil)
        }
        return lossSum
    }
}
