/// A value to record: `step` is the training iteration (nil for one-off evaluations), `split` the
/// data split, `tag` the model or variant it is about (e.g. "ema").
public struct Metric: Equatable, Sendable {
    public var name: String
    public var value: Double
    public var step: Int?
    public var split: String?
    public var tag: String?

    public init(_ name: String, _ value: Double, step: Int? = nil, split: String? = nil, tag: String? = nil) {
        self.name = name
        self.value = value
        self.step = step
        self.split = split
        self.tag = tag
    }
}

/// A stored metric row. NaN values are stored as NULL and read back as NaN.
public struct MetricRecord: Equatable, Sendable {
    public let stageRun: Int64
    public let metric: Metric
    public let recordedAt: String
}

/// A metric with the stage that recorded it.
public struct StageMetric: Equatable, Sendable {
    public var stage: String
    public var metric: Metric

    public init(stage: String, _ metric: Metric) {
        self.stage = stage
        self.metric = metric
    }
}

/// A row of the `latest_metrics` view.
public struct LatestMetric: Equatable, Sendable {
    public let pipeline: String?
    public let stage: String
    public let metric: Metric
    public let recordedAt: String
}

/// A row of the `metric_history` view.
public struct MetricHistoryEntry: Equatable, Sendable {
    public let pipeline: String?
    public let stage: String
    public let pipelineRun: Int64?
    public let stageRun: Int64
    public let metric: Metric
    public let recordedAt: String
}

extension Store {
    /// Records metrics of a stage run right away (e.g. training curves while it runs).
    public func recordMetrics(stageRun: Int64, _ metrics: [Metric]) throws {
        try db.immediateTransaction { try insertMetrics(stageRun: stageRun, metrics) }
    }

    func insertMetrics(stageRun: Int64, _ metrics: [Metric]) throws {
        for m in metrics {
            try db.run("INSERT INTO metrics (stage_run, name, value, step, split, tag) VALUES (?, ?, ?, ?, ?, ?)",
                       [.integer(stageRun), .text(m.name), m.value.isNaN ? .null : .real(m.value),
                        .optional(m.step.map(Int64.init)), .optional(m.split), .optional(m.tag)])
        }
    }

    private func metricRow(_ s: Statement, from i: Int32) -> Metric {
        Metric(s.text(i), s.optionalDouble(i + 1) ?? .nan, step: s.optionalInt(i + 2).map { Int($0) },
               split: s.optionalText(i + 3), tag: s.optionalText(i + 4))
    }

    /// The metrics of one stage run in recording order, optionally only those named `name`.
    public func metrics(stageRun: Int64, name: String? = nil) throws -> [MetricRecord] {
        try db.query("""
            SELECT stage_run, name, value, step, split, tag, recorded_at FROM metrics
            WHERE stage_run = ?1 AND (?2 IS NULL OR name = ?2) ORDER BY id
            """, [.integer(stageRun), .optional(name)]) { s in
            MetricRecord(stageRun: s.int(0), metric: metricRow(s, from: 1), recordedAt: s.text(6))
        }
    }

    /// The `latest_metrics` view, optionally for one pipeline, without the stages a pipeline's newest
    /// run no longer declares (renamed or removed from its file).
    public func latestMetrics(pipeline: String? = nil) throws -> [LatestMetric] {
        try db.query("""
            SELECT pipeline, stage, name, value, step, split, tag, recorded_at FROM latest_metrics AS l
            WHERE (?1 IS NULL OR pipeline = ?1)
              AND (pipeline IS NULL OR \(Store.declared(stage: "l.stage", inRun: Store.newestRun(of: "l.pipeline"))))
            """, [.optional(pipeline)]) { s in
            LatestMetric(pipeline: s.optionalText(0), stage: s.text(1), metric: metricRow(s, from: 2), recordedAt: s.text(7))
        }
    }

    /// The final value of each metric as of pipeline run `run`: for each stage of its pipeline that
    /// the run declares, the newest succeeded run up to and including `run`, and of each of its
    /// metrics (per name, split and tag) the newest value.
    public func metricValues(asOf run: Int64) throws -> [StageMetric] {
        try db.query("""
            WITH chosen AS (
              SELECT s.stage AS stage, max(s.id) AS id FROM stage_runs AS s JOIN pipeline_runs AS p ON p.id = s.pipeline_run
              WHERE p.pipeline = (SELECT pipeline FROM pipeline_runs WHERE id = ?1)
                AND s.pipeline_run <= ?1 AND s.status = 'succeeded' AND \(Store.declared(stage: "s.stage", inRun: "?1"))
              GROUP BY s.stage
            ), ranked AS (
              SELECT c.stage, m.name, m.value, m.step, m.split, m.tag,
                     row_number() OVER (PARTITION BY c.stage, m.name, m.split, m.tag ORDER BY m.id DESC) AS newest
              FROM chosen AS c JOIN metrics AS m ON m.stage_run = c.id
            )
            SELECT stage, name, value, step, split, tag FROM ranked WHERE newest = 1
            """, [.integer(run)]) { s in
            StageMetric(stage: s.text(0), metricRow(s, from: 1))
        }
    }

    /// The step-indexed values (training curves) of pipeline `pipeline`: for each stage its newest
    /// run declares, those of its newest stage run that recorded any.
    public func stepMetricsOfNewestRuns(pipeline: String) throws -> [StageMetric] {
        try db.query("""
            SELECT stage, name, value, step, split, tag FROM metric_history
            WHERE pipeline = ?1 AND step IS NOT NULL AND \(Store.declared(stage: "stage", inRun: Store.newestRun(of: "?1")))
              AND stage_run IN (SELECT max(stage_run) FROM metric_history
                                WHERE pipeline = ?1 AND step IS NOT NULL GROUP BY stage)
            """, [.text(pipeline)]) { s in
            StageMetric(stage: s.text(0), metricRow(s, from: 1))
        }
    }

    /// Metric `name` in every stage run that recorded it (of `pipeline` only, when given): per split
    /// and tag its final value, the newest by time and then step. Ordered by pipeline run and stage.
    public func finalMetricValues(name: String, pipeline: String? = nil) throws -> [MetricHistoryEntry] {
        try db.query("""
            SELECT \(Store.metricHistoryColumns)
            FROM (SELECT *, row_number() OVER (PARTITION BY stage_run, split, tag ORDER BY recorded_at DESC, step DESC) AS newest
                  FROM metric_history WHERE name = ?1 AND (?2 IS NULL OR pipeline = ?2))
            WHERE newest = 1 ORDER BY pipeline_run, stage
            """, [.text(name), .optional(pipeline)], row: metricHistoryRow)
    }

    static let metricHistoryColumns = "pipeline, stage, pipeline_run, stage_run, name, value, step, split, tag, recorded_at"

    private func metricHistoryRow(_ s: Statement) -> MetricHistoryEntry {
        MetricHistoryEntry(pipeline: s.optionalText(0), stage: s.text(1), pipelineRun: s.optionalInt(2),
                           stageRun: s.int(3), metric: metricRow(s, from: 4), recordedAt: s.text(9))
    }
}
