import Store
import StageKit

/// The planner's questions answered from the store. Which executable version produced a stage
/// run is kept in its pipeline run's metadata (`identities`: stage → `name@version`), written
/// when the pipeline run begins.
public struct StoreHistory: RunHistory {
    public let store: Store
    public let pipeline: ValidatedPipeline

    public init(store: Store, pipeline: ValidatedPipeline) { self.store = store; self.pipeline = pipeline }

    /// The run cache: any succeeded stage run with this signature, whatever its stage name (the
    /// signature already pins the executable, its version, the parameters and the inputs).
    public func succeededRun(signature: String) throws -> RecordedRun? {
        let sql = "SELECT id FROM stage_runs WHERE signature = \(SQLText.quote(signature)) AND status = 'succeeded' ORDER BY id DESC LIMIT 1"
        guard case .integer(let id)? = try ReadOnlyQuery.run(sql, storePath: store.path).rows.first?.first,
              let run = try store.stageRun(id) else { return nil }
        let description = pipeline.stages.first { $0.name == run.stage }?.description
        return try recorded(run, identity: description?.identity ?? "unknown", description: description)
    }

    public func lastSucceededRun(pipeline name: String, stage: String) throws -> RecordedRun? {
        let sql = """
            SELECT s.id, json_extract(p.metadata, '$.identities.' || \(SQLText.quote(json: stage)))
            FROM stage_runs AS s JOIN pipeline_runs AS p ON p.id = s.pipeline_run
            WHERE p.pipeline = \(SQLText.quote(name)) AND s.stage = \(SQLText.quote(stage)) AND s.status = 'succeeded'
            ORDER BY s.id DESC LIMIT 1
            """
        let result = try ReadOnlyQuery.run(sql, storePath: store.path)
        guard let row = result.rows.first, case .integer(let id) = row[0], let run = try store.stageRun(id) else { return nil }
        let identity: String
        if case .text(let text) = row[1] { identity = text } else { identity = "unknown" }
        return try recorded(run, identity: identity, description: pipeline.stage(stage)?.description)
    }

    /// Stages whose newest run in this pipeline failed, was interrupted or is running now:
    /// stage → "failed, exit 1, stage run 7".
    public func unsuccessfulLatestAttempts() throws -> [String: String] {
        let result = try ReadOnlyQuery.run("""
            SELECT s.stage, s.status, s.exit_code, s.id FROM stage_runs AS s JOIN pipeline_runs AS p ON p.id = s.pipeline_run
            WHERE p.pipeline = \(SQLText.quote(pipeline.name)) AND s.status IN ('failed', 'interrupted', 'running')
              AND s.id = (SELECT max(s2.id) FROM stage_runs AS s2 JOIN pipeline_runs AS p2 ON p2.id = s2.pipeline_run
                          WHERE p2.pipeline = p.pipeline AND s2.stage = s.stage)
            """, storePath: store.path)
        var out: [String: String] = [:]
        for row in result.rows {
            guard case .text(let stage) = row[0], case .text(let status) = row[1], case .integer(let id) = row[3] else { continue }
            let exit: String
            if case .integer(let code) = row[2] { exit = ", exit \(code)" } else { exit = "" }
            out[stage] = "\(status)\(exit), stage run \(id)"
        }
        return out
    }

    private func recorded(_ run: StageRun, identity: String, description: StageDescription?) throws -> RecordedRun {
        RecordedRun(id: run.id, signature: run.signature, identity: identity,
                    params: ParamValue.params(from: run.params, typedBy: description) ?? [:],
                    inputs: try store.stageInputs(run.id).mapValues(\.hex),
                    outputs: try store.stageOutputs(run.id).mapValues(\.hex))
    }
}

/// SQL text literals for the read-only queries (ReadOnlyQuery takes one statement, no bindings).
enum SQLText {
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
    /// A JSON path member, quoted so stage names with odd characters stay one member.
    static func quote(json member: String) -> String {
        quote("\"" + member.replacingOccurrences(of: "\"", with: "\\\"") + "\"")
    }
}
