import DataParallel
import HDF5
import Settings

extension FeatureStatistics {
    /// The normalisation fitted across `ranks` (a collective; one process computes it alone): this
    /// rank sums its leaves (`leaves(ofRank:ranks:)`) and combines them into its `cover` nodes; one
    /// all-gather brings every rank's nodes, and every rank combines them to the root in the same order.
    ///
    /// Rows (positions 0..<N of the set the statistics are over) come from `held` (raw, not yet
    /// normalised), which holds positions from `heldStart`, and the rest from `read` (raw, a
    /// range of positions at a time, at most `groupRows` rows past a leaf's end).
    func fit(ranks: Communicator, held: FeatureMatrix?, heldStart: Int, groupRows: Int,
             read: (Range<Int>) throws(TrainingError) -> FeatureMatrix) throws(TrainingError) -> Normalization {
        let covers = (0..<ranks.size).map { cover(leaves(ofRank: $0, ranks: ranks.size)) }
        let counts = covers.map { Int32($0.count * width) }
        var displacements = [Int32](repeating: 0, count: ranks.size)
        for r in 1..<max(1, ranks.size) { displacements[r] = displacements[r - 1] + counts[r - 1] }
        let total = Int(displacements.last ?? 0) + Int(counts.last ?? 0)
        precondition(total < Int(Int32.max), "\(total) statistics values are more than one all-gather carries")
        let values = UnsafeMutablePointer<Double>.allocate(capacity: max(total, 1))
        defer { values.deallocate() }
        values.initialize(repeating: 0, count: max(total, 1))
        var source = LeafRows(statistics: self, held: held, heldStart: heldStart, groupRows: groupRows,
                              limit: rows(of: leaves(ofRank: ranks.rank, ranks: ranks.size)).upperBound)
        var place = Int(displacements[ranks.rank])
        for node in covers[ranks.rank] {
            let partial = try value(of: node) { (leaf: Int) throws(TrainingError) -> [Double] in try source.partial(leaf: leaf, read: read) }
            (values + place).update(from: partial, count: width)
            place += width
        }
        if ranks.isDistributed {
            try ranks.allgatherInPlace(values, counts: counts, displacements: displacements, type: .double)
        }
        var known: [Node: [Double]] = [:]
        for (r, nodes) in covers.enumerated() {
            for (i, node) in nodes.enumerated() {
                let start = Int(displacements[r]) + i * width
                known[node] = Array(UnsafeBufferPointer(start: values + start, count: width))
            }
        }
        return normalization(root: root(from: known))
    }
}

/// The rows of a rank's leaves, in order: from the rows it holds in memory, then read from the
/// file a group at a time (whole leaves).
private struct LeafRows {
    let statistics: FeatureStatistics
    let held: FeatureMatrix?
    let heldStart: Int
    let groupRows: Int
    /// The end of this rank's leaves' rows: no group is read past it.
    let limit: Int
    private var group: (matrix: FeatureMatrix, start: Int)?

    init(statistics: FeatureStatistics, held: FeatureMatrix?, heldStart: Int, groupRows: Int, limit: Int) {
        (self.statistics, self.held, self.heldStart, self.groupRows, self.limit) = (statistics, held, heldStart, groupRows, limit)
    }

    /// Leaf `leaf`'s partial, summed row by row. Leaves are asked for in order.
    mutating func partial(leaf: Int, read: (Range<Int>) throws(TrainingError) -> FeatureMatrix) throws(TrainingError) -> [Double] {
        let rows = statistics.rows(of: leaf..<(leaf + 1)), leafRows = statistics.leafRows
        var partial = statistics.emptyPartial
        let heldEnd = heldStart + (held?.rows ?? 0)
        precondition(rows.lowerBound >= heldStart, "leaf \(leaf) starts before this rank's rows")
        if let held, rows.lowerBound < heldEnd {
            let local = (rows.lowerBound - heldStart)..<(min(rows.upperBound, heldEnd) - heldStart)
            held.withRows { view in statistics.add(rows: local, to: &partial) { view.value(at: $0) } }
        }
        var position = max(rows.lowerBound, heldEnd)
        while position < rows.upperBound {
            if group == nil || position < group!.start || position >= group!.start + group!.matrix.rows {
                let end = min(limit, (position + max(groupRows, 1) + leafRows - 1) / leafRows * leafRows)
                group = (try read(position..<end), position)
            }
            let (matrix, start) = group!
            let upto = min(rows.upperBound, start + matrix.rows)
            matrix.withRows { view in statistics.add(rows: (position - start)..<(upto - start), to: &partial) { view.value(at: $0) } }
            position = upto
        }
        return partial
    }
}

extension DatasetLoader {
    /// Rows of stored features a statistics pass reads from the file at a time: about 4 MiB.
    static func statisticsGroupRows(featureCount: Int, type: StoredType) -> Int {
        max(1, (4 << 20) / max(1, featureCount * type.bytes))
    }

    /// The normalisation `request` asks for of the features `dataset` holds, fitted across `ranks`:
    /// this rank reads only the rows of its leaves of the statistics (about its part of the rows),
    /// taking those in `held` (rows from `heldStart`, raw) from memory. Refuses a value that is not finite.
    static func fitNormalization(_ request: Normalization.Request, dataset: Dataset, source: DataSource, featureCount: Int,
                                 held: FeatureMatrix?, heldStart: Int, ranks: Communicator) throws(TrainingError) -> Normalization {
        let type = StoredType(dataset.elementType)
        guard request == .standardize || request == .scale else {
            return Normalization.withoutStatistics(request, unsignedMaximum: dataset.elementType.unsignedMaximum)
        }
        let statistics = FeatureStatistics(request, featureCount: featureCount, totalRows: dataset.rowCount)
        let first = statistics.rows(of: statistics.leaves(ofRank: ranks.rank, ranks: ranks.size)).lowerBound
        return try statistics.fit(ranks: ranks, held: held, heldStart: held == nil ? first : heldStart,
                                  groupRows: statisticsGroupRows(featureCount: featureCount, type: type)) { (rows) throws(TrainingError) in
            try readHeldRows(dataset, source: source, rows: rows, featureCount: featureCount, type: type)
        }
    }
}
