// Filling the results report from a store: every number comes from the metrics table, every
// picture from an image artifact a stage of the pipeline produced.
import Store

extension ResultsReport {
    /// The report of `pipeline` in `store`: its latest metrics, the step-indexed metrics of the
    /// newest run of each stage (loss curves), and the image outputs (sample grids) of the newest
    /// succeeded run of each stage.
    public static func load(store: Store, pipeline: String) throws -> Report {
        let latest = try store.latestMetrics(pipeline: pipeline).map { StageMetric(stage: $0.stage, $0.metric) }
        let quoted = "'" + pipeline.replacingOccurrences(of: "'", with: "''") + "'"
        let history = try ReadOnlyQuery.run("""
            SELECT stage, name, value, step, split, tag FROM metric_history
            WHERE pipeline = \(quoted) AND step IS NOT NULL
              AND stage_run IN (SELECT max(stage_run) FROM metric_history
                                WHERE pipeline = \(quoted) AND step IS NOT NULL GROUP BY stage)
            """, storePath: store.path).rows.map { row in
            StageMetric(stage: row[0].text ?? "", Metric(row[1].text ?? "", row[2].real ?? .nan, step: row[3].integer.map { Int($0) },
                                                         split: row[4].text, tag: row[5].text))
        }
        let images = try ReadOnlyQuery.run("""
            SELECT sr.stage, so.name, so.artifact FROM stage_outputs AS so
            JOIN stage_runs AS sr ON sr.id = so.stage_run
            JOIN pipeline_runs AS pr ON pr.id = sr.pipeline_run
            JOIN artifacts AS a ON a.id = so.artifact
            WHERE pr.pipeline = \(quoted) AND a.kind = 'image' AND a.media_type = 'image/png'
              AND sr.id = (SELECT max(s2.id) FROM stage_runs AS s2 JOIN pipeline_runs AS p2 ON p2.id = s2.pipeline_run
                           WHERE p2.pipeline = pr.pipeline AND s2.stage = sr.stage AND s2.status = 'succeeded')
            ORDER BY sr.stage, so.name
            """, storePath: store.path).rows
        let grids = try images.map { row -> ReportImage in
            guard let text = row[2].text, let id = ArtifactID(text) else {
                throw EvaluationError("report", "malformed artifact id in stage_outputs of pipeline \(pipeline)")
            }
            return ReportImage(caption: "\(row[0].text ?? "?"): \(row[1].text ?? "?")", png: try store.content(of: id))
        }
        let runs = Set(latest.map(\.stage)).count
        return build(pipeline: pipeline, latest: latest, history: history, grids: grids,
                     notes: ["Store: \(store.path). Metrics of \(runs) stages of pipeline “\(pipeline)”; each value is the newest the stage recorded."])
    }
}

extension SQLValue {
    var text: String? { if case .text(let s) = self { return s }; return nil }
    var integer: Int64? { if case .integer(let i) = self { return i }; return nil }
    var real: Double? {
        switch self {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
}
