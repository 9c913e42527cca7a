import Foundation
import TensorBoardProto

/// Writes one TensorBoard event file (`events.out.tfevents.<time>.<host>.<pid>`) in a folder:
/// scalars, histograms and text, each an `Event` record in TFRecord framing, as TensorBoard's own
/// `EventFileWriter` writes them. The first record is the `file_version` event.
///
/// Records are buffered by the C stream; `flush` makes them visible to a running TensorBoard.
/// Not thread-safe: use one writer from one thread.
public final class TensorBoardWriter {
    /// The event file's path.
    public var path: String { file.path }
    private let file: TFRecordFile

    /// Creates `directory` if needed and a new event file in it, named after `wallTime` (seconds
    /// since 1970) and this host, and writes the file-version event.
    public convenience init(directory: String, wallTime: Double = Date().timeIntervalSince1970) throws(RunLogError) {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let name = "events.out.tfevents.\(String(format: "%010d", Int(wallTime))).\(host).\(ProcessInfo.processInfo.processIdentifier)"
        try self.init(directory: directory, fileName: name, wallTime: wallTime, sourceWriter: "h5train")
    }

    /// - Parameter sourceWriter: the name recorded in the first event's `source_metadata`.
    init(directory: String, fileName: String, wallTime: Double, sourceWriter: String) throws(RunLogError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RunLogError(path: directory, reason: "cannot create the folder (\(error.localizedDescription))")
        }
        file = try TFRecordFile(path: (directory as NSString).appendingPathComponent(fileName))
        var event = Tensorboard_Event()
        event.wallTime = wallTime
        event.fileVersion = "brain.Event:2"
        event.sourceMetadata.writer = sourceWriter
        try write(event)
        try flush()
    }

    /// Records `value` under `tag` at `step` (TensorBoard's scalar dashboard; stored as float32).
    public func scalar(tag: String, value: Double, step: Int, wallTime: Double = Date().timeIntervalSince1970) throws(RunLogError) {
        var entry = Tensorboard_Summary.Value()
        entry.tag = tag
        entry.simpleValue = Float(value)
        try write(entry, step: step, wallTime: wallTime)
    }

    /// Records the distribution of `values` under `tag` at `step`, with TensorFlow's default
    /// buckets (the histogram and distribution dashboards).
    public func histogram<Values: Sequence>(tag: String, values: Values, step: Int,
                                            wallTime: Double = Date().timeIntervalSince1970) throws(RunLogError) where Values.Element == Float {
        try histogram(tag: tag, TensorBoardHistogram(values), step: step, wallTime: wallTime)
    }

    /// Records a histogram already computed.
    public func histogram(tag: String, _ histogram: TensorBoardHistogram, step: Int,
                          wallTime: Double = Date().timeIntervalSince1970) throws(RunLogError) {
        var proto = Tensorboard_HistogramProto()
        (proto.min, proto.max, proto.num) = (histogram.min, histogram.max, histogram.count)
        (proto.sum, proto.sumSquares) = (histogram.sum, histogram.sumOfSquares)
        (proto.bucketLimit, proto.bucket) = (histogram.bucketLimits, histogram.bucketCounts)
        var entry = Tensorboard_Summary.Value()
        entry.tag = tag
        entry.histo = proto
        try write(entry, step: step, wallTime: wallTime)
    }

    /// Records `text` (Markdown) under `tag` at `step`, as the text plugin's `text_pb` does: a
    /// scalar string tensor with the plugin name `text`.
    public func text(tag: String, text: String, step: Int, wallTime: Double = Date().timeIntervalSince1970) throws(RunLogError) {
        var tensor = Tensorboard_TensorProto()
        tensor.dtype = .dtString
        tensor.tensorShape = Tensorboard_TensorShapeProto()
        tensor.stringVal = [Data(text.utf8)]
        var entry = Tensorboard_Summary.Value()
        entry.tag = tag
        entry.metadata.pluginData.pluginName = "text"
        entry.tensor = tensor
        try write(entry, step: step, wallTime: wallTime)
    }

    /// Makes everything written so far visible in the file.
    public func flush() throws(RunLogError) {
        try file.flush()
    }

    /// Flushes and closes the file; later writes fail.
    public func close() throws(RunLogError) {
        try file.close()
    }

    private func write(_ value: Tensorboard_Summary.Value, step: Int, wallTime: Double) throws(RunLogError) {
        var event = Tensorboard_Event()
        event.wallTime = wallTime
        event.step = Int64(step)
        event.summary.value = [value]
        try write(event)
    }

    private func write(_ event: Tensorboard_Event) throws(RunLogError) {
        let bytes: [UInt8]
        do {
            bytes = try event.serializedBytes()
        } catch {
            throw RunLogError(path: file.path, reason: "cannot encode an event (\(error))")
        }
        try file.append(bytes)
    }
}
