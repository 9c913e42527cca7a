import Settings

/// The statistics a normalisation is fitted from (Σx and Σx² per feature for `standardize`, the
/// largest |x| for `scale`), summed in a fixed order that does not depend on who sums them.
///
/// The rows are cut into leaves of `leafRows` rows (fixed by the feature count alone); a leaf's
/// partial is summed in Float64 row by row. Leaves are combined up a binary tree fixed by the
/// leaf count: the node (level j, index k) covers leaves k·2ʲ ..< (k+1)·2ʲ (clipped to the leaf
/// count) and is its left child plus its right child (its left child alone when the right covers
/// nothing). Rank r of R computes the leaves whose first row lies in its rows ⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋
/// (reading, past its rows, at most a leaf's rows less one) and of them the largest nodes they make
/// whole (`cover`); one all-gather brings every rank's nodes, and each rank combines them up to
/// the root. One process computes the root the same way, so the bits are the same for any R.
public struct FeatureStatistics: Sendable, Equatable {
    /// What the partials hold: `.standardize` 2·featureCount values (sums, then sums of squares),
    /// `.scale` one (the largest |x|).
    public let request: Normalization.Request
    public let featureCount: Int
    /// Rows summed (N).
    public let totalRows: Int

    public init(_ request: Normalization.Request, featureCount: Int, totalRows: Int) {
        precondition(request == .standardize || request == .scale, "\(request) needs no statistics")
        precondition(featureCount > 0 && totalRows >= 0, "statistics of \(totalRows) rows × \(featureCount) features")
        (self.request, self.featureCount, self.totalRows) = (request, featureCount, totalRows)
    }

    /// Rows a leaf holds: about 8192 values, at least one row.
    public var leafRows: Int { Self.leafRows(featureCount: featureCount) }

    public static func leafRows(featureCount: Int) -> Int { max(1, 8192 / max(1, featureCount)) }

    public var leafCount: Int { (totalRows + leafRows - 1) / leafRows }

    /// Values in one partial.
    public var width: Int { request == .standardize ? 2 * featureCount : 1 }

    /// A node of the combining tree: leaves `index`·2^`level` ..< (`index`+1)·2^`level`, clipped.
    public struct Node: Hashable, Sendable {
        public let level: Int
        public let index: Int
    }

    /// The leaves `node` covers (empty beyond the last leaf).
    public func leaves(of node: Node) -> Range<Int> {
        let start = min(leafCount, node.index << node.level)
        return start..<min(leafCount, (node.index + 1) << node.level)
    }

    /// The node covering every leaf.
    public var root: Node {
        var level = 0
        while (1 << level) < leafCount { level += 1 }
        return Node(level: level, index: 0)
    }

    /// The leaves rank `rank` of `ranks` computes: those whose first row lies in its rows
    /// ⌊N·r/R⌋ ..< ⌊N·(r+1)/R⌋. The ranks' leaves are consecutive and cover every leaf once.
    public func leaves(ofRank rank: Int, ranks: Int) -> Range<Int> {
        let (first, end) = (totalRows * rank / ranks, totalRows * (rank + 1) / ranks)
        return ((first + leafRows - 1) / leafRows)..<((end + leafRows - 1) / leafRows)
    }

    /// The rows of `leaves`.
    public func rows(of leaves: Range<Int>) -> Range<Int> {
        min(totalRows, leaves.lowerBound * leafRows)..<min(totalRows, leaves.upperBound * leafRows)
    }

    /// The largest nodes that lie whole in `leaves`, left to right: they cover `leaves` exactly.
    public func cover(_ leaves: Range<Int>) -> [Node] {
        let top = root.level
        var nodes: [Node] = [], position = leaves.lowerBound
        while position < leaves.upperBound {
            var level = 0
            while level < top, position % (1 << (level + 1)) == 0,
                  self.leaves(of: Node(level: level + 1, index: position >> (level + 1))).upperBound <= leaves.upperBound {
                level += 1
            }
            let node = Node(level: level, index: position >> level)
            nodes.append(node)
            position = self.leaves(of: node).upperBound
        }
        return nodes
    }

    /// An empty partial: zero sums, or a largest |x| of 0.
    public var emptyPartial: [Double] { [Double](repeating: 0, count: width) }

    /// Adds rows `rows` (their values read by `value(flatIndex)`, rows × featureCount in row order)
    /// to `partial`, row by row.
    public func add(rows: Range<Int>, to partial: inout [Double], value: (Int) -> Float) {
        let n = featureCount
        if request == .scale {
            var largest = Float(partial[0])
            for i in (rows.lowerBound * n)..<(rows.upperBound * n) { largest = max(largest, abs(value(i))) }
            partial[0] = Double(largest)
            return
        }
        partial.withUnsafeMutableBufferPointer { p in
            for r in rows {
                for j in 0..<n {
                    let x = Double(value(r * n + j))
                    p[j] += x
                    p[n + j] += x * x
                }
            }
        }
    }

    /// `right` combined into `left`: added (sums) or the larger (largest |x|).
    public func combine(_ left: inout [Double], _ right: [Double]) {
        if request == .scale {
            left[0] = max(left[0], right[0])
        } else {
            for i in left.indices { left[i] += right[i] }
        }
    }

    /// The partial of `node`, from its leaves' (`leaf(i)`, called in leaf order) up the tree.
    public func value(of node: Node, leaf: (Int) throws(TrainingError) -> [Double]) throws(TrainingError) -> [Double] {
        if node.level == 0 { return try leaf(node.index) }
        let left = Node(level: node.level - 1, index: 2 * node.index), right = Node(level: node.level - 1, index: 2 * node.index + 1)
        var sum = try value(of: left, leaf: leaf)
        if !leaves(of: right).isEmpty { combine(&sum, try value(of: right, leaf: leaf)) }
        return sum
    }

    /// The root's partial from `known` nodes that cover every leaf (every rank's `cover`), combined
    /// exactly as `value(of:leaf:)` combines them.
    public func root(from known: [Node: [Double]]) -> [Double] {
        func value(_ node: Node) -> [Double] {
            if let partial = known[node] { return partial }
            precondition(node.level > 0, "leaf \(node.index) is in no rank's nodes")
            let left = Node(level: node.level - 1, index: 2 * node.index), right = Node(level: node.level - 1, index: 2 * node.index + 1)
            var sum = value(left)
            if !leaves(of: right).isEmpty { combine(&sum, value(right)) }
            return sum
        }
        return leafCount == 0 ? emptyPartial : value(root)
    }

    /// The normalisation the root's partial gives, as `Normalization.fit` chooses it.
    public func normalization(root partial: [Double]) -> Normalization {
        if request == .scale {
            let largest = Float(partial[0])
            return largest > 0 ? .scale(factor: 1 / largest) : .none
        }
        let n = featureCount
        return Normalization.standardization(sum: Array(partial[0..<n]), sumSquares: Array(partial[n...]), rows: totalRows)
    }

    /// The normalisation of `totalRows` rows all in hand (`value(flatIndex)`): the root over every leaf.
    public func fit(value: (Int) -> Float) -> Normalization {
        let leafRows = leafRows, totalRows = totalRows
        let partial = leafCount == 0 ? emptyPartial : (try? self.value(of: root) { (leaf: Int) throws(TrainingError) -> [Double] in
            var partial = emptyPartial
            add(rows: (leaf * leafRows)..<min(totalRows, (leaf + 1) * leafRows), to: &partial, value: value)
            return partial
        })!
        return normalization(root: partial)
    }
}
