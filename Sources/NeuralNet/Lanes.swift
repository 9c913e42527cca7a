/// Eight-lane helpers for the element-wise loops of the training step.
///
/// The Swift compiler does not reliably vectorise loops over several unsafe pointers (it cannot
/// prove they do not alias), so the hot element-wise loops are written on `SIMD8<Float>` directly.
/// Each lane does the same IEEE operations a scalar loop would, so results are bit-identical to the
/// scalar form — including the tail, which runs the same code on a partly filled vector.
public typealias Lanes = SIMD8<Float>

/// Calls `body(offset, lanes)` for consecutive groups of 8 indices in 0..<count (`lanes` is 8, or
/// fewer for the last group).
///
/// Pass a local `@inline(__always) func`, not a closure literal: the body is called from two places
/// (full groups, then the tail), and the compiler then outlines a closure literal and calls it once
/// per group, which made these loops 2–3× slower than the inlined form.
@inlinable @inline(__always)
public func forEachLaneGroup(_ count: Int, _ body: (_ offset: Int, _ lanes: Int) -> Void) {
    var offset = 0
    while offset + 8 <= count {
        body(offset, 8)
        offset += 8
    }
    if offset < count { body(offset, count - offset) }
}

/// Loads `lanes` floats from p[i...] (the rest of the vector zero).
@inlinable @inline(__always)
public func loadLanes(_ p: UnsafePointer<Float>, _ i: Int, _ lanes: Int) -> Lanes {
    if lanes == 8 { return UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self) }
    var v = Lanes()
    for k in 0..<lanes { v[k] = p[i + k] }
    return v
}

@inlinable @inline(__always)
public func loadLanes(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ lanes: Int) -> Lanes {
    loadLanes(UnsafePointer(p), i, lanes)
}

/// Stores the first `lanes` floats of `v` to p[i...].
@inlinable @inline(__always)
public func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ lanes: Int) {
    if lanes == 8 {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Lanes.self)
        return
    }
    for k in 0..<lanes { p[i + k] = v[k] }
}

/// Σ x² over `count` floats, accumulated in eight Float lanes (the tail in a partly filled vector)
/// and summed across the lanes at the end: a fixed order, so the same values give the same bits.
@inlinable @inline(__always)
public func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var squares = Lanes()
    @inline(__always) func group(_ i: Int, _ n: Int) {
        let v = loadLanes(x, i, n)
        squares += v * v
    }
    forEachLaneGroup(count, group)
    return Double(squares.sum())
}
