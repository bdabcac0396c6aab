import Store

/// The metric comparisons `lzn-pipe metrics --diff` shows, from the store's metrics.
public enum MetricReports {
    /// A metric's identity within a pipeline.
    public struct Key: Hashable, Comparable, Sendable {
        public var stage: String, name: String, split: String, tag: String
        public static func < (a: Key, b: Key) -> Bool { (a.stage, a.name, a.split, a.tag) < (b.stage, b.name, b.split, b.tag) }
    }

    public struct Difference: Equatable, Sendable {
        public var key: Key
        public var old: Double?
        public var new: Double?
        public var delta: Double? { old.flatMap { o in new.map { $0 - o } } }
    }

    /// The final value of each metric as of pipeline run `run` (see `Store.metricValues(asOf:)`).
    public static func values(asOf run: Int64, store: Store) throws -> [Key: Double] {
        var out: [Key: Double] = [:]
        for m in try store.metricValues(asOf: run) {
            out[Key(stage: m.stage, name: m.metric.name, split: m.metric.split ?? "", tag: m.metric.tag ?? "")] = m.metric.value
        }
        return out
    }

    public static func diff(_ a: Int64, _ b: Int64, store: Store) throws -> [Difference] {
        guard try store.pipelineRun(a) != nil else { throw PipelineError.usage("no pipeline run \(a)") }
        guard try store.pipelineRun(b) != nil else { throw PipelineError.usage("no pipeline run \(b)") }
        let old = try values(asOf: a, store: store)
        let new = try values(asOf: b, store: store)
        return Set(old.keys).union(new.keys).sorted().map { Difference(key: $0, old: old[$0], new: new[$0]) }
    }
}
