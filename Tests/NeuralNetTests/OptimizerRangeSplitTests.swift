import Foundation
import HDF5
import NeuralNet
import Optimizers
import XCTest

/// The aggregator splits each step over the workers: updating [0, n) in pieces must give
/// bit-identical parameters and state to one whole-range call, whatever the pieces, and a call must
/// write nothing outside its range — neither parameters nor any of the state buffers.
final class OptimizerRangeSplitTests: XCTestCase {
    private let count = 1000
    private let steps = 4
    private var splits: [[Range<Int>]] {
        [[0..<count], [0..<500, 500..<count], [0..<1, 1..<777, 777..<count],
         // out of order, with empty pieces
         [900..<count, 0..<0, 333..<900, 0..<333, 1000..<1000]]
    }

    func testEveryOptimizerGivesBitIdenticalResultsHoweverTheRangeIsSplit() {
        var rng = TestRNG(seed: 0x5EED)
        let initial = rng.floats(count, in: -2, 2)
        var gradients = (0..<steps).map { _ in rng.floats(count, in: -1, 1) }
        for i in stride(from: 0, to: count, by: 97) { gradients[0][i] = 0 }  // exact zeros too
        let rates: [Float] = [0.05, 0.04, 0.03, 0.02]

        for optimizer in OptimizerTesting.catalogue {
            let stateSize = optimizer.stateCount * count
            var results: [(parameters: [UInt32], state: [UInt32])] = []
            for ranges in splits {
                var w = initial, state = [Float](repeating: 0, count: stateSize)
                for step in 0..<steps {
                    for range in ranges {
                        let (wBefore, stateBefore) = (w, state)
                        OptimizerTesting.update(optimizer, parameters: &w, gradients: gradients[step], state: &state,
                                                parameterCount: count, range: range, learningRate: rates[step], step: step)
                        XCTAssertTrue(w.indices.allSatisfy { range.contains($0) || w[$0].bitPattern == wBefore[$0].bitPattern },
                                      "\(optimizer) wrote parameters outside \(range)")
                        XCTAssertTrue(state.indices.allSatisfy {
                            range.contains($0 % count) || state[$0].bitPattern == stateBefore[$0].bitPattern
                        }, "\(optimizer) wrote state outside \(range)")
                    }
                }
                XCTAssertTrue(w.allSatisfy(\.isFinite), "\(optimizer): non-finite parameters")
                results.append((OptimizerTesting.bits(w), OptimizerTesting.bits(state)))
            }
            XCTAssertNotEqual(results[0].parameters, OptimizerTesting.bits(initial), "\(optimizer): parameters did not move")
            for split in 1..<splits.count {
                XCTAssertEqual(results[split].parameters, results[0].parameters, "\(optimizer) parameters, split \(splits[split])")
                XCTAssertEqual(results[split].state, results[0].state, "\(optimizer) state, split \(splits[split])")
            }
        }
    }

    /// The same through concurrent workers, as StepEngine calls it: one shared parameter and
    /// state allocation, each worker updating its own slice at the same time.
    func testConcurrentSlicesMatchOneWholeRangeCall() {
        var rng = TestRNG(seed: 42)
        let initial = rng.floats(count, in: -2, 2)
        let gradients = (0..<steps).map { _ in rng.floats(count, in: -1, 1) }
        let workers = 4
        for optimizer in OptimizerTesting.catalogue {
            var whole = initial, wholeState = [Float](repeating: 0, count: optimizer.stateCount * count)
            for step in 0..<steps {
                OptimizerTesting.update(optimizer, parameters: &whole, gradients: gradients[step], state: &wholeState,
                                        parameterCount: count, range: 0..<count, learningRate: 0.01, step: step)
            }
            let w = UnsafeMutablePointer<Float>.allocate(capacity: count)
            let state = UnsafeMutablePointer<Float>.allocate(capacity: max(1, optimizer.stateCount * count))
            defer { w.deallocate(); state.deallocate() }
            w.initialize(from: initial, count: count)
            state.initialize(repeating: 0, count: max(1, optimizer.stateCount * count))
            let (shared, sharedState, n) = (SendablePointer(w), SendablePointer(state), count)
            for step in 0..<steps {
                gradients[step].withUnsafeBufferPointer { g in
                    let gradient = SendableConstPointer(g.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: workers) { worker in
                        let slice = (worker * n / workers)..<((worker + 1) * n / workers)
                        optimizer.update(parameters: shared.pointer, gradients: gradient.pointer, state: sharedState.pointer,
                                         parameterCount: n, range: slice, learningRate: 0.01, step: step)
                    }
                }
            }
            XCTAssertEqual(OptimizerTesting.bits(Array(UnsafeBufferPointer(start: w, count: count))),
                           OptimizerTesting.bits(whole), "\(optimizer) parameters")
            XCTAssertEqual(OptimizerTesting.bits(Array(UnsafeBufferPointer(start: state, count: optimizer.stateCount * count))),
                           OptimizerTesting.bits(wholeState), "\(optimizer) state")
        }
    }
}

/// Raw pointers handed to concurrent workers that write disjoint ranges.
private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

private struct SendableConstPointer: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
    init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
}
