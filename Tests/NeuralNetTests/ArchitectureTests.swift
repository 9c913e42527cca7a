import XCTest
import NeuralNet

final class ArchitectureTests: XCTestCase {
    /// The classic MNIST MLP: 784·512 + 512 + 512·256 + 256 + 256·10 + 10 = 535 818 parameters.
    private let mlp = NetworkArchitecture(inputs: 784, hidden: [512, 256], hiddenActivation: .relu, outputs: 10, outputActivation: .softmax)

    func testLayersOfAPerceptron() {
        XCTAssertEqual(mlp.layers, [
            LayerSpec(inputs: 784, outputs: 512, activation: .relu),
            LayerSpec(inputs: 512, outputs: 256, activation: .relu),
            LayerSpec(inputs: 256, outputs: 10, activation: .softmax),
        ])
        XCTAssertEqual(mlp.inputSize, 784)
        XCTAssertEqual(mlp.outputSize, 10)
        XCTAssertEqual(mlp.maximumWidth, 784)
    }

    func testParameterCountAndOffsets() {
        XCTAssertEqual(mlp.parameterCount, 535_818)
        XCTAssertEqual(mlp.layers.map(\.parameterCount), [401_920, 131_328, 2570])
        XCTAssertEqual(mlp.weightOffsets, [0, 401_920, 533_248])
        XCTAssertEqual((0..<3).map(mlp.biasOffset), [401_408, 532_992, 535_808])
        // The last bias block ends exactly at the end of the buffer.
        XCTAssertEqual(mlp.biasOffset(2) + 10, mlp.parameterCount)
    }

    func testForwardFLOPPerSample() {
        // 2 FLOP per multiply–add: 2·(784·512 + 512·256 + 256·10).
        XCTAssertEqual(mlp.forwardFLOPPerSample, 1_070_080)
        // Forward + weight gradients + input gradients of layers 1 and 2: 3·1 070 080 − 2·784·512.
        XCTAssertEqual(mlp.trainingFLOPPerSample, 2_407_424)
    }

    /// Gradient blocks tile the flat buffer: every parameter in exactly one block, each block's weights
    /// those of its input rows, whole multiples of 16 rows except a layer's last block (which takes a
    /// remainder under half a block), and each layer's biases in its first block.
    func testGradientBlocksPartitionTheParameters() {
        for target in [1, 5_000, 65_536, 1 << 30] {
            let blocks = mlp.gradientBlocks(targetWeights: target)
            var covered = [Int](repeating: 0, count: mlp.parameterCount)
            for block in blocks {
                let layer = mlp.layers[block.layer]
                XCTAssertEqual(block.weightRange, (mlp.weightOffsets[block.layer] + block.inputs.lowerBound * layer.outputs)
                                                  ..< (mlp.weightOffsets[block.layer] + block.inputs.upperBound * layer.outputs))
                let bias = mlp.biasOffset(block.layer)
                XCTAssertEqual(block.biasRange, block.inputs.lowerBound == 0 ? bias..<(bias + layer.outputs) : bias..<bias)
                XCTAssertEqual(block.cost, block.inputs.count * layer.outputs)
                XCTAssert(block.inputs.count % 16 == 0 || block.inputs.upperBound == layer.inputs, "\(block)")
                for i in block.weightRange { covered[i] += 1 }
                for i in block.biasRange { covered[i] += 1 }
            }
            XCTAssert(covered.allSatisfy { $0 == 1 }, "target \(target): parameters not covered exactly once")
        }
        // 131 072 weights per block: 512 outputs → 256 input rows (the last 16 of 784 join the last
        // block), 256 outputs → all 512 rows, 10 outputs → all 256.
        let blocks = mlp.gradientBlocks()
        XCTAssertEqual(blocks.filter { $0.layer == 0 }.map(\.inputs.count), [256, 256, 272])
        XCTAssertEqual(blocks.filter { $0.layer == 1 }.map(\.inputs.count), [512])
        XCTAssertEqual(blocks.filter { $0.layer == 2 }.map(\.inputs.count), [256])
        // 65 536: 128 rows, and the remainder of 16 again in the last block.
        XCTAssertEqual(mlp.gradientBlocks(targetWeights: 65_536).filter { $0.layer == 0 }.map(\.inputs.count),
                       [128, 128, 128, 128, 128, 144])
    }

    /// Checkpoints store each W as PyTorch does (outputs × inputs): `pytorchOrder` transposes every
    /// layer's weights, leaves biases alone, works on several buffers back to back, and
    /// `internalOrder(fromPyTorch:)` undoes it.
    func testPyTorchOrderTransposesEachLayersWeights() {
        // 3 → 2 → 1: W₀ (3 × 2) then b₀ (2), W₁ (2 × 1) then b₁ (1): 11 parameters.
        let small = NetworkArchitecture(inputs: 3, hidden: [2], hiddenActivation: .relu, outputs: 1, outputActivation: .identity)
        let values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        // W₀ = [[1, 2], [3, 4], [5, 6]] → W₀ᵀ = [[1, 3, 5], [2, 4, 6]]; W₁ (2 × 1) reads the same either way.
        let expected: [Float] = [1, 3, 5, 2, 4, 6, 7, 8, 9, 10, 11]
        XCTAssertEqual(small.pytorchOrder(values), expected)
        XCTAssertEqual(small.pytorchOrder(values + values.map { -$0 }), expected + expected.map { -$0 })
        XCTAssertEqual(small.internalOrder(fromPyTorch: expected), values)
        let random = (0..<mlp.parameterCount).map { Float($0 % 977) }
        XCTAssertEqual(mlp.internalOrder(fromPyTorch: mlp.pytorchOrder(random)), random)
    }

    func testExplicitLayersMatchThePerceptronInitialiser() {
        XCTAssertEqual(NetworkArchitecture(layers: mlp.layers), mlp)
        let single = NetworkArchitecture(inputs: 4, hidden: [], hiddenActivation: .tanh, outputs: 2, outputActivation: .identity)
        XCTAssertEqual(single.layers, [LayerSpec(inputs: 4, outputs: 2, activation: .identity)])
        XCTAssertEqual(single.parameterCount, 10)
        XCTAssertEqual(single.weightOffsets, [0])
        XCTAssertEqual(single.biasOffset(0), 8)
    }

    /// The backward pass keeps ∂L/∂x (rows × inputs) in buffers sized by maximumWidth, so it must cover
    /// the inputs as well as the outputs.
    func testMaximumWidthCoversInputsAndOutputs() {
        let bottleneck = NetworkArchitecture(inputs: 3, hidden: [9], hiddenActivation: .relu, outputs: 2, outputActivation: .identity)
        XCTAssertEqual(bottleneck.maximumWidth, 9)
        let wideInput = NetworkArchitecture(inputs: 20, hidden: [4], hiddenActivation: .relu, outputs: 2, outputActivation: .identity)
        XCTAssertEqual(wideInput.maximumWidth, 20)
    }
}
