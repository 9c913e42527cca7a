import CDeflate
import CHDF5

/// How a dataset's gzip chunks can be read as stored and inflated here: a chunked dataset whose
/// chunks span whole rows, whose filter pipeline is exactly deflate (optionally after shuffle),
/// and whose stored type is the type being read. libdeflate inflates a chunk two to three times
/// faster than the zlib HDF5 uses (tools/bench-chunk-inflate); the bytes are the same.
struct DeflatedChunkLayout {
    /// Rows in a chunk (the dataset's last chunk may hold fewer).
    let chunkRows: Int
    /// Bytes in a row.
    let rowBytes: Int
    /// The element size the shuffle filter split the bytes of, when it did (elements wider than a byte).
    let shuffleBytes: Int?
    /// Whether partial edge chunks are stored unfiltered (H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS).
    let partialChunksUnfiltered: Bool

    /// Bytes in a whole chunk, inflated.
    var chunkBytes: Int { chunkRows * rowBytes }
}

extension Dataset {
    /// The layout to read rows of type `memoryType` with, or nil when H5Dread must read them
    /// (contiguous storage, chunks that split rows, other filters, a type conversion).
    func deflatedChunkLayout(memoryType: hid_t) throws(HDF5Error) -> DeflatedChunkLayout? {
        guard !shape.isEmpty, let chunk = try chunkShape(), chunk.dropFirst().elementsEqual(shape.dropFirst()) else { return nil }
        let type = try check("H5Dget_type", H5Dget_type(id), context)
        defer { H5Tclose(type) }
        guard try check("H5Tequal", H5Tequal(type, memoryType), context) > 0 else { return nil }
        let elementBytes = Int(try check("H5Tget_size", H5Tget_size(type), context, failed: { $0 == 0 }))
        let plist = try check("H5Dget_create_plist", H5Dget_create_plist(id), context)
        defer { H5Pclose(plist) }
        guard let shuffled = try isShuffledDeflate(plist) else { return nil }
        var options: UInt32 = 0
        try check("H5Pget_chunk_opts", H5Pget_chunk_opts(plist, &options), context)
        return DeflatedChunkLayout(chunkRows: chunk[0], rowBytes: elementsPerRow * elementBytes,
                                   shuffleBytes: shuffled && elementBytes > 1 ? elementBytes : nil,
                                   partialChunksUnfiltered: options & UInt32(H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS) != 0)
    }

    /// true for the pipeline shuffle → deflate, false for deflate alone, nil for any other.
    private func isShuffledDeflate(_ plist: hid_t) throws(HDF5Error) -> Bool? {
        let count = try check("H5Pget_nfilters", H5Pget_nfilters(plist), context)
        var filters: [H5Z_filter_t] = []
        for index in 0..<UInt32(count) {
            var flags: UInt32 = 0, valueCount = 0, config: UInt32 = 0
            var name: [CChar] = [0]
            filters.append(try check("H5Pget_filter2",
                                     H5Pget_filter2(plist, index, &flags, &valueCount, nil, 0, &name, &config), context))
        }
        switch filters {
        case [H5Z_FILTER_DEFLATE]: return false
        case [H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE]: return true
        default: return nil
        }
    }

    /// Reads `rows` into `destination` chunk by chunk as stored (H5Dread_chunk), inflating each
    /// with libdeflate and undoing the shuffle. Returns false when H5Dread must read them instead
    /// (the destination may then hold some of the rows): rows that do not start and end on chunk
    /// boundaries, a chunk never written (fill values), stored unfiltered or with a filter skipped,
    /// and any failure — H5Dread then reports the damaged or truncated file as it always does.
    func readDeflatedChunks(rows: Range<Int>, into destination: UnsafeMutableRawPointer,
                            _ layout: DeflatedChunkLayout) -> Bool {
        let last = rows.upperBound == rowCount && rowCount % layout.chunkRows != 0
        guard rows.lowerBound % layout.chunkRows == 0, rows.upperBound % layout.chunkRows == 0 || last,
              !(last && layout.partialChunksUnfiltered),
              let inflater = libdeflate_alloc_decompressor() else { return false }
        defer { libdeflate_free_decompressor(inflater) }
        var buffers = ChunkBuffers(chunkBytes: layout.chunkBytes)
        defer { buffers.deallocate() }
        var offset = [hsize_t](repeating: 0, count: shape.count)
        for first in stride(from: rows.lowerBound, to: rows.upperBound, by: layout.chunkRows) {
            offset[0] = hsize_t(first)
            let count = min(layout.chunkRows, rowCount - first)
            let target = destination + (first - rows.lowerBound) * layout.rowBytes
            guard let stored = readStoredChunk(at: offset, into: &buffers) else { return false }
            // A whole chunk that needs no unshuffling inflates straight into place.
            let direct = count == layout.chunkRows && layout.shuffleBytes == nil
            let inflated = direct ? target : buffers.inflated
            var produced = 0
            guard libdeflate_zlib_decompress(inflater, buffers.stored, stored, inflated, layout.chunkBytes,
                                             &produced) == LIBDEFLATE_SUCCESS,
                  produced == layout.chunkBytes else { return false }
            if direct { continue }
            if let size = layout.shuffleBytes {
                unshuffle(buffers.inflated, into: buffers.unshuffled, bytes: layout.chunkBytes, elementBytes: size)
                target.copyMemory(from: buffers.unshuffled, byteCount: count * layout.rowBytes)
            } else {
                target.copyMemory(from: buffers.inflated, byteCount: count * layout.rowBytes)
            }
        }
        return true
    }

    /// Reads the chunk at `offset` as stored into `buffers.stored`, growing it as needed; its size
    /// in bytes, or nil when it was never written, a filter was skipped, or HDF5 failed.
    private func readStoredChunk(at offset: [hsize_t], into buffers: inout ChunkBuffers) -> Int? {
        var size: hsize_t = 0
        guard (try? check("H5Dget_chunk_storage_size", H5Dget_chunk_storage_size(id, offset, &size), context)) != nil,
              size > 0 else { return nil }
        buffers.reserveStored(Int(size))
        var skipped: UInt32 = 0
        guard (try? check("H5Dread_chunk", H5Dread_chunk(id, h5shim_p_default(), offset, &skipped, buffers.stored),
                          context)) != nil, skipped == 0 else { return nil }
        return Int(size)
    }
}

/// Undoes HDF5's shuffle filter: `source` holds byte 0 of every element, then byte 1, and so on.
/// Bytes past the last whole element are copied as they are (the filter leaves them so).
private func unshuffle(_ source: UnsafeMutableRawPointer, into target: UnsafeMutableRawPointer, bytes: Int, elementBytes: Int) {
    let elements = bytes / elementBytes
    let from = source.assumingMemoryBound(to: UInt8.self), to = target.assumingMemoryBound(to: UInt8.self)
    for byte in 0..<elementBytes {
        let plane = from + byte * elements
        for element in 0..<elements { to[element * elementBytes + byte] = plane[element] }
    }
    let whole = elements * elementBytes
    if whole < bytes { (to + whole).update(from: from + whole, count: bytes - whole) }
}

/// The scratch memory of one read: the stored (compressed) chunk, and a whole inflated chunk and
/// its unshuffled copy for the chunks that cannot be inflated in place.
private struct ChunkBuffers {
    let chunkBytes: Int
    private(set) var stored: UnsafeMutableRawPointer
    private var storedCapacity: Int
    let inflated: UnsafeMutableRawPointer
    let unshuffled: UnsafeMutableRawPointer

    init(chunkBytes: Int) {
        self.chunkBytes = chunkBytes
        storedCapacity = chunkBytes + chunkBytes / 64 + 64
        stored = .allocate(byteCount: storedCapacity, alignment: 16)
        inflated = .allocate(byteCount: chunkBytes, alignment: 16)
        unshuffled = .allocate(byteCount: chunkBytes, alignment: 16)
    }

    mutating func reserveStored(_ bytes: Int) {
        guard bytes > storedCapacity else { return }
        stored.deallocate()
        (stored, storedCapacity) = (.allocate(byteCount: bytes, alignment: 16), bytes)
    }

    func deallocate() {
        stored.deallocate()
        inflated.deallocate()
        unshuffled.deallocate()
    }
}
