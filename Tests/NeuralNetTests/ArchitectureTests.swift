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

    /// Gradient blocks tile the flat buffer: every parameter in exactly one block, each block's weight
    /// rows and biases those of its units, whole multiples of 16 units except a layer's last block.
    func testGradientBlocksPartitionTheParameters() {
        for target in [1, 5_000, 65_536, 1 << 30] {
            let blocks = mlp.gradientBlocks(targetWeights: target)
            var covered = [Int](repeating: 0, count: mlp.parameterCount)
            for block in blocks {
                let layer = mlp.layers[block.layer]
                XCTAssertEqual(block.weightRange, (mlp.weightOffsets[block.layer] + block.units.lowerBound * layer.inputs)
                                                  ..< (mlp.weightOffsets[block.layer] + block.units.upperBound * layer.inputs))
                XCTAssertEqual(block.biasRange, (mlp.biasOffset(block.layer) + block.units.lowerBound)
                                                ..< (mlp.biasOffset(block.layer) + block.units.upperBound))
                XCTAssertEqual(block.cost, block.units.count * layer.inputs)
                XCTAssert(block.units.count % 16 == 0 || block.units.upperBound == layer.outputs, "\(block)")
                for i in block.weightRange { covered[i] += 1 }
                for i in block.biasRange { covered[i] += 1 }
            }
            XCTAssert(covered.allSatisfy { $0 == 1 }, "target \(target): parameters not covered exactly once")
        }
        // 98 304 weights per block: 784 inputs → 112 units (125 rounded down to 16s), 512 inputs → 192 units.
        let blocks = mlp.gradientBlocks()
        XCTAssertEqual(blocks.filter { $0.layer == 0 }.map(\.units.count), [112, 112, 112, 112, 64])
        XCTAssertEqual(blocks.filter { $0.layer == 1 }.map(\.units.count), [192, 64])
        XCTAssertEqual(blocks.filter { $0.layer == 2 }.map(\.units.count), [10])
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
