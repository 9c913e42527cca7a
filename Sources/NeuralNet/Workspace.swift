/// Preallocated scratch memory for forward and backward passes over up to `capacity` rows.
///
/// One workspace belongs to one worker thread; nothing in `forward` or `gradients` allocates, so a
/// training step touches only memory that exists before it starts. Buffers (row-major Float32):
///
///     activations[l]  (capacity × layers[l].outputs)   y_l, the output of layer l
///     deltaA, deltaB  (capacity × maximumWidth)        ∂L/∂z ping-pong buffers of the backward pass
public final class Workspace: @unchecked Sendable {
    public let architecture: NetworkArchitecture
    public let capacity: Int
    private let activations: [UnsafeMutablePointer<Float>]
    private let deltaA: UnsafeMutablePointer<Float>
    private let deltaB: UnsafeMutablePointer<Float>

    /// - Parameter capacity: the most rows a single call will be given.
    public init(architecture: NetworkArchitecture, capacity: Int) {
        precondition(capacity > 0, "workspace capacity must be positive")
        self.architecture = architecture
        self.capacity = capacity
        activations = architecture.layers.map { layer in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: capacity * layer.outputs)
            buffer.initialize(repeating: 0, count: capacity * layer.outputs)
            return buffer
        }
        let deltaCount = capacity * architecture.maximumWidth
        deltaA = .allocate(capacity: deltaCount)
        deltaA.initialize(repeating: 0, count: deltaCount)
        deltaB = .allocate(capacity: deltaCount)
        deltaB.initialize(repeating: 0, count: deltaCount)
    }

    deinit {
        activations.forEach { $0.deallocate() }
        deltaA.deallocate()
        deltaB.deallocate()
    }

    /// Runs the network on `rows` inputs (rows × inputSize) and returns its output buffer
    /// (rows × outputSize, valid until the next call).
    ///
    /// - Parameter skipOutputActivation: leave the last layer un-activated (logits), as fused losses want.
    @discardableResult
    public func forward(
        parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, rows: Int,
        skipOutputActivation: Bool = false
    ) -> UnsafePointer<Float> {
        precondition(rows > 0 && rows <= capacity, "forward: \(rows) rows exceeds workspace capacity \(capacity)")
        var x = input
        let last = architecture.layers.count - 1
        for (l, layer) in architecture.layers.enumerated() {
            let y = activations[l]  // rows × outputs
            // y = x · Wᵀ   (rows × in)·(in × out)
            BLAS.gemm(.none, .transposed, m: rows, n: layer.outputs, k: layer.inputs,
                      a: x, lda: layer.inputs,
                      b: parameters + architecture.weightOffsets[l], ldb: layer.inputs,
                      c: y, ldc: layer.outputs)
            let activation = (l == last && skipOutputActivation) ? Activation.identity : layer.activation
            activation.addBiasAndApply(y, bias: parameters + architecture.biasOffset(l), rows: rows, columns: layer.outputs)
            x = UnsafePointer(y)
        }
        return UnsafePointer(activations[last])
    }

    /// Computes the gradient of Σ_rows loss with respect to every parameter, into `gradients`
    /// (parameterCount floats, overwritten), and returns that loss sum.
    ///
    /// - Parameters:
    ///   - input: rows × inputSize.
    ///   - targets: rows × (1 for class losses, else outputSize).
    public func gradients(
        parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, targets: UnsafePointer<Float>,
        rows: Int, loss: Loss, into gradients: UnsafeMutablePointer<Float>
    ) -> Double {
        let layers = architecture.layers
        let last = layers.count - 1
        let fused = loss.fusedActivation != nil
        let output = forward(parameters: parameters, input: input, rows: rows, skipOutputActivation: fused)

        // ∂L/∂y of the output layer, then through its activation unless the loss already did.
        var delta = deltaA, spare = deltaB
        let lossSum = loss.lossAndGradient(outputs: output, targets: targets, rows: rows,
                                           width: layers[last].outputs, gradient: delta)
        if !fused {
            layers[last].activation.backward(output: output, gradient: delta, rows: rows, columns: layers[last].outputs)
        }

        for l in stride(from: last, through: 0, by: -1) {
            let layer = layers[l]
            let x = l == 0 ? input : UnsafePointer(activations[l - 1])  // rows × inputs
            let weights = parameters + architecture.weightOffsets[l]
            // ∂W = δᵀ · x   (out × rows)·(rows × in)
            BLAS.gemm(.transposed, .none, m: layer.outputs, n: layer.inputs, k: rows,
                      a: delta, lda: layer.outputs, b: x, ldb: layer.inputs,
                      c: gradients + architecture.weightOffsets[l], ldc: layer.inputs)
            // ∂b = Σ_rows δ
            let biasGradient = gradients + architecture.biasOffset(l)
            biasGradient.update(repeating: 0, count: layer.outputs)
            for r in 0..<rows {
                let row = delta + r * layer.outputs
                for c in 0..<layer.outputs { biasGradient[c] += row[c] }
            }
            guard l > 0 else { break }  // the input needs no gradient
            // ∂x = δ · W   (rows × out)·(out × in), then through the previous layer's activation.
            BLAS.gemm(.none, .none, m: rows, n: layer.inputs, k: layer.outputs,
                      a: delta, lda: layer.outputs, b: weights, ldb: layer.inputs,
                      c: spare, ldc: layer.inputs)
            layers[l - 1].activation.backward(output: activations[l - 1], gradient: spare, rows: rows, columns: layer.inputs)
            swap(&delta, &spare)
        }
        return lossSum
    }
}
