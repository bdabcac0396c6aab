/// A pipeline run and what its stage runs did, for listings (`lzn-pipe runs`).
public struct PipelineRunSummary: Equatable, Sendable {
    public let run: PipelineRun
    /// Seconds from start to end; nil while it runs (or if it was never ended).
    public let seconds: Double?
    /// Stage runs whose process ran (they have an exit code).
    public let executed: Int
    /// Stage runs that succeeded without running: their results came from the run cache.
    public let reused: Int
    /// Stage runs that failed or were interrupted.
    public let failed: Int
}

/// An artifact a stage run produced, under the stage's output name.
public struct StageOutput: Equatable, Sendable {
    public let stage: String
    public let name: String
    public let artifact: Artifact
}

/// What the planner, the run listings and the report ask about the runs of a pipeline.
extension Store {
    /// SQL that is true when stage name `stage` is one of pipeline run `run`'s stages as its file
    /// declared them (the `identities` of its metadata), so a stage renamed or removed since stops
    /// showing in the metrics and reports of the newer runs. A run recorded without them keeps all.
    static func declared(stage: String, inRun run: String) -> String {
        """
        coalesce((SELECT json_type(metadata, '$.identities') IS NULL
                         OR \(stage) IN (SELECT key FROM json_each(metadata, '$.identities'))
                  FROM pipeline_runs WHERE id = \(run)), 1)
        """
    }

    /// SQL for the id of pipeline `pipeline`'s newest run.
    static func newestRun(of pipeline: String) -> String { "(SELECT max(id) FROM pipeline_runs WHERE pipeline = \(pipeline))" }

    /// The names of the pipelines that have run in this store, sorted.
    public func pipelineNames() throws -> [String] {
        try db.query("SELECT DISTINCT pipeline FROM pipeline_runs ORDER BY pipeline") { $0.text(0) }
    }

    /// The newest `limit` pipeline runs (of `pipeline` only, when given), oldest first.
    public func pipelineRunSummaries(pipeline: String? = nil, limit: Int) throws -> [PipelineRunSummary] {
        try db.query("""
            SELECT * FROM (
              SELECT \(Store.pipelineRunColumns), (julianday(p.ended_at) - julianday(p.started_at)) * 86400,
                     (SELECT count(*) FROM stage_runs s WHERE s.pipeline_run = p.id AND s.exit_code IS NOT NULL),
                     (SELECT count(*) FROM stage_runs s WHERE s.pipeline_run = p.id AND s.exit_code IS NULL
                        AND s.status = 'succeeded'),
                     (SELECT count(*) FROM stage_runs s WHERE s.pipeline_run = p.id AND s.status IN ('failed', 'interrupted'))
              FROM pipeline_runs AS p WHERE ?1 IS NULL OR p.pipeline = ?1 ORDER BY p.id DESC LIMIT ?2
            ) ORDER BY 1
            """, [.optional(pipeline), .integer(Int64(limit))]) { s in
            PipelineRunSummary(run: pipelineRunRow(s), seconds: s.optionalDouble(6),
                               executed: Int(s.int(7)), reused: Int(s.int(8)), failed: Int(s.int(9)))
        }
    }

    /// The newest succeeded run of `stage` in pipeline `pipeline`.
    public func newestSucceededStageRun(pipeline: String, stage: String) throws -> StageRun? {
        try db.queryOne("""
            SELECT \(Store.stageRunColumns(as: "s")) FROM stage_runs AS s JOIN pipeline_runs AS p ON p.id = s.pipeline_run
            WHERE p.pipeline = ? AND s.stage = ? AND s.status = 'succeeded' ORDER BY s.id DESC LIMIT 1
            """, [.text(pipeline), .text(stage)], row: stageRunRow)
    }

    /// As of pipeline run `run`, the newest succeeded run of each stage of its pipeline (made by
    /// that run or an earlier one; only the stages its file declared then): the stage runs whose
    /// metrics `metricValues(asOf:)` reports.
    public func succeededStageRuns(asOf run: Int64) throws -> [StageRun] {
        try db.query("""
            SELECT \(Store.stageRunColumns(as: "s")) FROM stage_runs AS s
            WHERE s.id IN (
              SELECT max(s2.id) FROM stage_runs AS s2 JOIN pipeline_runs AS p ON p.id = s2.pipeline_run
              WHERE p.pipeline = (SELECT pipeline FROM pipeline_runs WHERE id = ?1)
                AND s2.pipeline_run <= ?1 AND s2.status = 'succeeded' AND \(Store.declared(stage: "s2.stage", inRun: "?1"))
              GROUP BY s2.stage)
            ORDER BY s.id
            """, [.integer(run)], row: stageRunRow)
    }

    /// The newest run of each stage of pipeline `pipeline`, whatever its status, by stage name.
    public func newestStageRuns(pipeline: String) throws -> [StageRun] {
        try db.query("""
            SELECT \(Store.stageRunColumns(as: "s")) FROM stage_runs AS s JOIN pipeline_runs AS p ON p.id = s.pipeline_run
            WHERE p.pipeline = ?1
              AND s.id = (SELECT max(s2.id) FROM stage_runs AS s2 JOIN pipeline_runs AS p2 ON p2.id = s2.pipeline_run
                          WHERE p2.pipeline = ?1 AND s2.stage = s.stage)
            ORDER BY s.stage
            """, [.text(pipeline)], row: stageRunRow)
    }

    /// The run of `stage` whose log to show: the newest one that has a log (a run whose results were
    /// reused has none), else the newest; only runs in pipeline run `pipelineRun` when given.
    public func newestLoggedStageRun(stage: String, pipelineRun: Int64? = nil) throws -> StageRun? {
        try db.queryOne("""
            SELECT \(Store.stageRunColumns) FROM stage_runs WHERE stage = ?1 AND (?2 IS NULL OR pipeline_run = ?2)
            ORDER BY (log IS NULL), id DESC LIMIT 1
            """, [.text(stage), .optional(pipelineRun)], row: stageRunRow)
    }

    /// The outputs of media type `mediaType` that are images, of the newest succeeded run of each
    /// stage of pipeline `pipeline` its newest run declares (the report's sample grids), by stage and
    /// output name.
    public func imageOutputs(pipeline: String, mediaType: String) throws -> [StageOutput] {
        try db.query("""
            SELECT sr.stage, so.name, \(Store.artifactColumns) FROM stage_outputs AS so
            JOIN stage_runs AS sr ON sr.id = so.stage_run
            JOIN pipeline_runs AS pr ON pr.id = sr.pipeline_run
            JOIN artifacts AS a ON a.id = so.artifact
            JOIN blobs AS b ON b.address = a.blob
            WHERE pr.pipeline = ?1 AND a.kind = 'image' AND a.media_type = ?2
              AND \(Store.declared(stage: "sr.stage", inRun: Store.newestRun(of: "?1")))
              AND sr.id = (SELECT max(s2.id) FROM stage_runs AS s2 JOIN pipeline_runs AS p2 ON p2.id = s2.pipeline_run
                           WHERE p2.pipeline = pr.pipeline AND s2.stage = sr.stage AND s2.status = 'succeeded')
            ORDER BY sr.stage, so.name
            """, [.text(pipeline), .text(mediaType)]) { s in
            StageOutput(stage: s.text(0), name: s.text(1), artifact: try artifactRow(s, from: 2))
        }
    }
}
