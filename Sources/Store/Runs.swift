import Foundation

public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running, succeeded, failed, interrupted
}

public struct PipelineRun: Equatable, Sendable {
    public let id: Int64
    public let pipeline: String
    public let status: RunStatus
    public let startedAt: String
    public let endedAt: String?
    public let metadata: JSON
}

public struct StageRun: Equatable, Sendable {
    public let id: Int64
    public let pipelineRun: Int64?
    public let stage: String
    public let signature: String
    public let params: JSON
    public let status: RunStatus
    public let startedAt: String
    public let endedAt: String?
    public let exitCode: Int32?
    public let log: ArtifactID?
}

/// Pipeline runs, stage runs, lineage and the run cache.
///
/// A stage run's life: `beginStageRun` (status running, inputs recorded) → the stage registers its
/// artifacts → `commitStageOutputs` (outputs + metrics + status succeeded, one transaction) →
/// `finishStageRun` (exit code, log). A run that never commits ends failed or interrupted.
extension Store {
    public func beginPipelineRun(pipeline: String, metadata: JSON = [:]) throws -> Int64 {
        try db.immediateTransaction {
            try db.run("INSERT INTO pipeline_runs (pipeline, pid, host, metadata) VALUES (?, ?, ?, ?)",
                       [.text(pipeline), .integer(Int64(getpid())), .text(Store.hostName), .text(metadata.text)])
            return db.lastInsertRowID
        }
    }

    public func finishPipelineRun(_ id: Int64, status: RunStatus) throws {
        try db.immediateTransaction {
            try db.run("""
                UPDATE pipeline_runs SET status = ?, ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?
                """, [.text(status.rawValue), .integer(id)])
        }
    }

    static let pipelineRunColumns = "p.id, p.pipeline, p.status, p.started_at, p.ended_at, p.metadata"

    func pipelineRunRow(_ s: Statement) -> PipelineRun {
        PipelineRun(id: s.int(0), pipeline: s.text(1), status: RunStatus(rawValue: s.text(2)) ?? .failed,
                    startedAt: s.text(3), endedAt: s.optionalText(4), metadata: (try? JSON(parsing: s.text(5))) ?? .null)
    }

    public func pipelineRun(_ id: Int64) throws -> PipelineRun? {
        try db.queryOne("SELECT \(Store.pipelineRunColumns) FROM pipeline_runs AS p WHERE p.id = ?", [.integer(id)],
                        row: pipelineRunRow)
    }

    /// Records the start of a stage run and the artifacts it consumes; returns its id.
    public func beginStageRun(stage: String, signature: String, params: JSON = [:],
                              inputs: [String: ArtifactID] = [:], pipelineRun: Int64? = nil) throws -> Int64 {
        try db.immediateTransaction {
            try db.run("""
                INSERT INTO stage_runs (pipeline_run, stage, signature, params, pid, host) VALUES (?, ?, ?, ?, ?, ?)
                """, [.optional(pipelineRun), .text(stage), .text(signature), .text(params.text),
                      .integer(Int64(getpid())), .text(Store.hostName)])
            let id = db.lastInsertRowID
            for (name, artifact) in inputs.sorted(by: { $0.key < $1.key }) {
                try db.run("INSERT INTO stage_inputs (stage_run, name, artifact) VALUES (?, ?, ?)",
                           [.integer(id), .text(name), .text(artifact.hex)])
            }
            return id
        }
    }

    /// Records the outputs and final metrics of a running stage run and marks it succeeded, all in
    /// one transaction: after a crash the run is either fully succeeded or not succeeded at all.
    /// The same transaction discards the artifacts named `scratchName` (see `discardArtifacts`).
    public func commitStageOutputs(stageRun: Int64, outputs: [String: ArtifactID], metrics: [Metric] = [],
                                   discardingScratch scratchName: String? = nil) throws {
        try db.immediateTransaction {
            let run = try requireStageRun(stageRun)
            guard run.status == .running else {
                throw StoreError.invalidStageRunState(id: stageRun, status: run.status.rawValue,
                                                      detail: "only a running stage run can commit outputs")
            }
            for (name, artifact) in outputs.sorted(by: { $0.key < $1.key }) {
                try db.run("INSERT INTO stage_outputs (stage_run, name, artifact) VALUES (?, ?, ?)",
                           [.integer(stageRun), .text(name), .text(artifact.hex)])
            }
            try insertMetrics(stageRun: stageRun, metrics)
            if let scratchName { _ = try deleteUnreferencedArtifacts(named: scratchName, keeping: nil) }
            try db.run("""
                UPDATE stage_runs SET status = 'succeeded', ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?
                """, [.integer(stageRun)])
        }
    }

    /// Records how a stage run ended (the scheduler calls this after the stage process exits).
    /// `.succeeded` is accepted only for a run whose outputs were committed; a committed run stays
    /// succeeded whatever `status` says (its outputs are complete), but its exit code and log are
    /// recorded. Returns the final status.
    @discardableResult
    public func finishStageRun(_ id: Int64, status: RunStatus, exitCode: Int32?, log: ArtifactID? = nil) throws -> RunStatus {
        try db.immediateTransaction {
            let run = try requireStageRun(id)
            let final: RunStatus
            switch (run.status, status) {
            case (.succeeded, _): final = .succeeded
            case (_, .succeeded):
                throw StoreError.invalidStageRunState(id: id, status: run.status.rawValue,
                                                      detail: "its outputs were never committed, so it cannot succeed")
            case (_, .running):
                throw StoreError.invalidStageRunState(id: id, status: run.status.rawValue, detail: "finishing needs a final status")
            default: final = status
            }
            try db.run("""
                UPDATE stage_runs SET status = ?, exit_code = ?, log = coalesce(?, log),
                    ended_at = coalesce(ended_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) WHERE id = ?
                """, [.text(final.rawValue), .optional(exitCode.map(Int64.init)), .optional(log?.hex), .integer(id)])
            return final
        }
    }

    /// Marks stage and pipeline runs still 'running' whose process is gone (on this host) as
    /// interrupted; returns how many stage runs changed.
    @discardableResult
    public func interruptAbandonedRuns() throws -> Int {
        try db.immediateTransaction {
            var count = 0
            for table in ["stage_runs", "pipeline_runs"] {
                let rows = try db.query("SELECT id, pid, host FROM \(table) WHERE status = 'running'") {
                    ($0.int(0), $0.int(1), $0.text(2))
                }
                for (id, pid, host) in rows where !Store.processMayBeAlive(pid: pid, host: host) {
                    try db.run("""
                        UPDATE \(table) SET status = 'interrupted', ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?
                        """, [.integer(id)])
                    if table == "stage_runs" { count += 1 }
                }
            }
            return count
        }
    }

    static let stageRunColumns = stageRunColumns(as: nil)

    /// The columns `stageRunRow` reads, qualified by a table alias when given.
    static func stageRunColumns(as alias: String?) -> String {
        ["id", "pipeline_run", "stage", "signature", "params", "status", "started_at", "ended_at", "exit_code", "log"]
            .map { column in alias.map { "\($0).\(column)" } ?? column }.joined(separator: ", ")
    }

    func stageRunRow(_ s: Statement) -> StageRun {
        StageRun(id: s.int(0), pipelineRun: s.optionalInt(1), stage: s.text(2), signature: s.text(3),
                 params: (try? JSON(parsing: s.text(4))) ?? .null, status: RunStatus(rawValue: s.text(5)) ?? .failed,
                 startedAt: s.text(6), endedAt: s.optionalText(7), exitCode: s.optionalInt(8).map { Int32($0) },
                 log: s.optionalText(9).flatMap(ArtifactID.init))
    }

    private func requireStageRun(_ id: Int64) throws -> StageRun {
        guard let run = try stageRun(id) else { throw StoreError.stageRunNotFound(id) }
        return run
    }

    public func stageRun(_ id: Int64) throws -> StageRun? {
        try db.queryOne("SELECT \(Store.stageRunColumns) FROM stage_runs WHERE id = ?", [.integer(id)], row: stageRunRow)
    }

    /// The run cache: the newest succeeded run of `stage` with exactly this signature.
    public func findSucceededStageRun(stage: String, signature: String) throws -> StageRun? {
        try db.queryOne("""
            SELECT \(Store.stageRunColumns) FROM stage_runs
            WHERE stage = ? AND signature = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1
            """, [.text(stage), .text(signature)], row: stageRunRow)
    }

    /// The run cache across stage names: the newest succeeded run with this signature, whatever its
    /// stage is called (the signature already pins the executable, its version, the parameters and
    /// the inputs).
    public func findSucceededStageRun(signature: String) throws -> StageRun? {
        try db.queryOne("""
            SELECT \(Store.stageRunColumns) FROM stage_runs
            WHERE signature = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1
            """, [.text(signature)], row: stageRunRow)
    }

    public func stageOutputs(_ stageRun: Int64) throws -> [String: ArtifactID] { try lineage("stage_outputs", stageRun) }
    public func stageInputs(_ stageRun: Int64) throws -> [String: ArtifactID] { try lineage("stage_inputs", stageRun) }

    private func lineage(_ table: String, _ stageRun: Int64) throws -> [String: ArtifactID] {
        let rows = try db.query("SELECT name, artifact FROM \(table) WHERE stage_run = ?", [.integer(stageRun)]) {
            ($0.text(0), $0.text(1))
        }
        return Dictionary(uniqueKeysWithValues: rows.compactMap { name, id in ArtifactID(id).map { (name, $0) } })
    }

    /// The stage runs that produced an artifact (normally one).
    public func producers(of artifact: ArtifactID) throws -> [StageRun] {
        try db.query("""
            SELECT \(Store.stageRunColumns) FROM stage_runs
            WHERE id IN (SELECT stage_run FROM stage_outputs WHERE artifact = ?) ORDER BY id
            """, [.text(artifact.hex)], row: stageRunRow)
    }
}
