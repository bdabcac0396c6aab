import Store

/// The metric questions `lzn-pipe metrics` answers, as read-only queries over the store's
/// `metrics`, `metric_history` and `latest_metrics` (see schema/).
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

    /// The final value of each metric as of pipeline run `run`: for each stage, its newest
    /// succeeded run in that pipeline up to and including `run`, and the newest value of each metric.
    public static func values(asOf run: Int64, storePath: String) throws -> [Key: Double] {
        let result = try ReadOnlyQuery.run("""
            WITH chosen AS (
              SELECT s.stage AS stage, max(s.id) AS id FROM stage_runs AS s JOIN pipeline_runs AS p ON p.id = s.pipeline_run
              WHERE p.pipeline = (SELECT pipeline FROM pipeline_runs WHERE id = \(run))
                AND s.pipeline_run <= \(run) AND s.status = 'succeeded'
              GROUP BY s.stage
            ), ranked AS (
              SELECT c.stage, m.name, coalesce(m.split, '') AS split, coalesce(m.tag, '') AS tag, m.value,
                     row_number() OVER (PARTITION BY c.stage, m.name, m.split, m.tag ORDER BY m.id DESC) AS newest
              FROM chosen AS c JOIN metrics AS m ON m.stage_run = c.id
            )
            SELECT stage, name, split, tag, value FROM ranked WHERE newest = 1
            """, storePath: storePath)
        var out: [Key: Double] = [:]
        for row in result.rows {
            guard case .text(let stage) = row[0], case .text(let name) = row[1], case .text(let split) = row[2],
                  case .text(let tag) = row[3] else { continue }
            out[Key(stage: stage, name: name, split: split, tag: tag)] = number(row[4])
        }
        return out
    }

    public static func diff(_ a: Int64, _ b: Int64, storePath: String) throws -> [Difference] {
        guard try pipelineOf(a, storePath) != nil else { throw PipelineError.usage("no pipeline run \(a)") }
        guard try pipelineOf(b, storePath) != nil else { throw PipelineError.usage("no pipeline run \(b)") }
        let old = try values(asOf: a, storePath: storePath)
        let new = try values(asOf: b, storePath: storePath)
        return Set(old.keys).union(new.keys).sorted().map { Difference(key: $0, old: old[$0], new: new[$0]) }
    }

    private static func pipelineOf(_ run: Int64, _ storePath: String) throws -> String? {
        guard case .text(let name)? = try ReadOnlyQuery.run("SELECT pipeline FROM pipeline_runs WHERE id = \(run)",
                                                           storePath: storePath).rows.first?.first else { return nil }
        return name
    }

    /// One metric across runs: the final value of each stage run that recorded it.
    public static func history(name: String, pipeline: String?, storePath: String) throws -> QueryResult {
        let pipelineFilter = pipeline.map { "AND pipeline = \(SQLText.quote($0))" } ?? ""
        return try ReadOnlyQuery.run("""
            SELECT pipeline, pipeline_run AS run, stage, coalesce(split, '') AS split, coalesce(tag, '') AS tag, value, recorded_at
            FROM (SELECT *, row_number() OVER (PARTITION BY stage_run, split, tag ORDER BY recorded_at DESC, step DESC) AS newest
                  FROM metric_history WHERE name = \(SQLText.quote(name)) \(pipelineFilter))
            WHERE newest = 1 ORDER BY pipeline_run, stage
            """, storePath: storePath)
    }

    private static func number(_ v: SQLValue) -> Double {
        switch v {
        case .integer(let i): return Double(i)
        case .real(let d): return d
        default: return .nan
        }
    }
}
