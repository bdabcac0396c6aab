// Store-to-store sync (`lzn-pipe push DEST`, `lzn-pipe pull SRC`): copies what the destination
// lacks. Content is addressed by hash, so "lacks" is exact for chunks, blobs and artifacts; a run
// is identified across stores by what it was (stage, signature, start time, process and host), so
// the destination numbers it anew and a second transfer finds it already there.
//
// Order gives crash safety: chunks first (each in a short transaction, pinned by this connection's
// write session), then a blob's row once all its chunks are in, an artifact's row once its blobs
// are, and a pipeline run's stage runs with their lineage and metrics once every artifact they name
// is. After `kill -9` the destination holds complete blobs, artifacts and runs plus unreferenced
// chunks (garbage for `gc`); running the transfer again copies the rest.
import Foundation

/// What one transfer copied.
public struct SyncReport: Equatable, Sendable {
    public var chunks = 0
    public var bytes = 0
    public var blobs = 0
    public var artifacts = 0
    public var pipelineRuns = 0
    public var stageRuns = 0
    public var metrics = 0

    public init() {}

    public var movedNothing: Bool { chunks + blobs + artifacts + pipelineRuns + stageRuns + metrics == 0 }

    public var summary: String {
        "\(artifacts) artifact(s) (\(blobs) blob(s), \(chunks) chunk(s), \(bytes) bytes), "
            + "\(stageRuns) stage run(s) in \(pipelineRuns) new pipeline run(s), \(metrics) metric value(s)"
    }
}

/// What `copyMissing` reports as it goes.
public enum SyncEvent: Sendable {
    case artifact(Artifact)
    case chunk(bytes: Int)
}

/// A pipeline run as the source has it.
private struct SourcePipelineRun {
    var id: Int64, pipeline: String, status: String, startedAt: String, endedAt: String?
    var pid: Int64, host: String, metadata: String
}

/// A succeeded stage run as the source has it.
private struct SourceStageRun {
    var id: Int64, pipelineRun: Int64?, stage: String, signature: String, params: String
    var startedAt: String, endedAt: String?, exitCode: Int64?, log: String?, pid: Int64, host: String
}

extension Store {
    /// Copies into this store everything of `source` it lacks: artifacts (with their blobs and only
    /// the chunks missing here, each verified against its hash as it is read) and the succeeded
    /// stage runs with their pipeline runs, inputs, outputs and metrics, so this store's run cache
    /// knows them. With `pipeline`, only that pipeline's stage runs and the artifacts they consumed,
    /// produced or logged; without, every artifact and every succeeded stage run.
    /// A corrupt source chunk fails the transfer with an error naming the artifact.
    public func copyMissing(from source: Store, pipeline: String? = nil,
                            progress: (SyncEvent) -> Void = { _ in }) throws -> SyncReport {
        var report = SyncReport()
        let runs = try source.succeededRunsForSync(pipeline: pipeline)
        for id in try source.artifactIDsForSync(pipeline: pipeline) where !(try hasArtifact(id)) {
            try copyArtifact(id, from: source, &report, progress)
        }
        let pipelineRuns = try source.pipelineRunsForSync(pipeline: pipeline)
        for run in pipelineRuns {
            try copyRuns(runs.filter { $0.pipelineRun == run.id }, of: run, from: source, &report)
        }
        for run in runs where run.pipelineRun == nil {
            try copyRuns([run], of: nil, from: source, &report)
        }
        return report
    }

    // MARK: reading the source

    private func succeededRunsForSync(pipeline: String?) throws -> [SourceStageRun] {
        try db.query("""
            SELECT s.id, s.pipeline_run, s.stage, s.signature, s.params, s.started_at, s.ended_at, s.exit_code, s.log, s.pid, s.host
            FROM stage_runs AS s LEFT JOIN pipeline_runs AS p ON p.id = s.pipeline_run
            WHERE s.status = 'succeeded' AND (?1 IS NULL OR p.pipeline = ?1) ORDER BY s.id
            """, [.optional(pipeline)]) { s in
            SourceStageRun(id: s.int(0), pipelineRun: s.optionalInt(1), stage: s.text(2), signature: s.text(3), params: s.text(4),
                           startedAt: s.text(5), endedAt: s.optionalText(6), exitCode: s.optionalInt(7), log: s.optionalText(8),
                           pid: s.int(9), host: s.text(10))
        }
    }

    private func pipelineRunsForSync(pipeline: String?) throws -> [SourcePipelineRun] {
        try db.query("""
            SELECT id, pipeline, status, started_at, ended_at, pid, host, metadata FROM pipeline_runs
            WHERE (?1 IS NULL OR pipeline = ?1)
              AND id IN (SELECT pipeline_run FROM stage_runs WHERE status = 'succeeded') ORDER BY id
            """, [.optional(pipeline)]) { s in
            SourcePipelineRun(id: s.int(0), pipeline: s.text(1), status: s.text(2), startedAt: s.text(3), endedAt: s.optionalText(4),
                              pid: s.int(5), host: s.text(6), metadata: s.text(7))
        }
    }

    /// Every artifact, or those a pipeline's succeeded stage runs consumed, produced or logged to,
    /// oldest first.
    private func artifactIDsForSync(pipeline: String?) throws -> [String] {
        guard let pipeline else { return try db.query("SELECT id FROM artifacts ORDER BY rowid") { $0.text(0) } }
        return try db.query("""
            WITH runs AS (SELECT s.id, s.log FROM stage_runs AS s JOIN pipeline_runs AS p ON p.id = s.pipeline_run
                          WHERE s.status = 'succeeded' AND p.pipeline = ?1)
            SELECT id FROM artifacts WHERE id IN (
              SELECT artifact FROM stage_inputs WHERE stage_run IN (SELECT id FROM runs)
              UNION SELECT artifact FROM stage_outputs WHERE stage_run IN (SELECT id FROM runs)
              UNION SELECT log FROM runs WHERE log IS NOT NULL)
            ORDER BY rowid
            """, [.text(pipeline)]) { $0.text(0) }
    }

    // MARK: content

    private func hasArtifact(_ id: String) throws -> Bool {
        try db.queryOne("SELECT 1 FROM artifacts WHERE id = ?", [.text(id)]) { _ in true } ?? false
    }

    private func copyArtifact(_ id: String, from source: Store, _ report: inout SyncReport,
                              _ progress: (SyncEvent) -> Void) throws {
        guard let artifactID = ArtifactID(id) else { throw StoreError.artifactNotFound(id) }
        let artifact = try source.artifact(artifactID)
        progress(.artifact(artifact))
        let row = try source.db.queryOne("SELECT dtype, shape, metadata, created_at FROM artifacts WHERE id = ?", [.text(id)]) {
            [$0.optionalText(0).map(SQLValue.text) ?? .null, $0.optionalText(1).map(SQLValue.text) ?? .null,
             SQLValue.text($0.text(2)), SQLValue.text($0.text(3))]
        }!
        let members = try source.db.query("SELECT name, blob, dtype, shape FROM bundle_members WHERE artifact = ? ORDER BY name", [.text(id)]) {
            (name: $0.text(0), blob: $0.text(1), dtype: $0.text(2), shape: $0.text(3))
        }
        var blobs = [artifact.blob.description]
        for member in members where !blobs.contains(member.blob) { blobs.append(member.blob) }
        for blob in blobs {
            let label = artifact.label + (blob == artifact.blob.description ? "" : " member " + (members.first { $0.blob == blob }?.name ?? "?"))
            try copyBlob(blob, from: source, artifact: label, &report, progress)
        }
        try db.immediateTransaction {
            try db.run("""
                INSERT OR IGNORE INTO artifacts (id, kind, name, blob, media_type, dtype, shape, metadata, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(id), .text(artifact.kind.rawValue), .text(artifact.name), .text(artifact.blob.description),
                      .text(artifact.mediaType)] + row)
            for m in members {
                try db.run("INSERT OR IGNORE INTO bundle_members (artifact, name, blob, dtype, shape) VALUES (?, ?, ?, ?, ?)",
                           [.text(id), .text(m.name), .text(m.blob), .text(m.dtype), .text(m.shape)])
            }
        }
        report.artifacts += 1
    }

    /// Streams the source blob (which verifies every chunk, the size and the whole content) and
    /// stores the chunks this store lacks; registers the blob once all are in.
    private func copyBlob(_ text: String, from source: Store, artifact: String, _ report: inout SyncReport,
                          _ progress: (SyncEvent) -> Void) throws {
        guard let address = BlobAddress(text) else { throw StoreError.notAStore(store: source.path, reason: "malformed blob address \(text) (\(artifact))") }
        if try db.queryOne("SELECT 1 FROM blobs WHERE address = ?", [.text(text)], row: { _ in true }) != nil { return }
        let chunks = try source.db.query("SELECT chunk FROM blob_chunks WHERE blob = ? ORDER BY seq", [.text(text)]) { $0.text(0) }
        var size = 0, seq = 0
        var copied = (chunks: 0, bytes: 0)
        try source.streamBlob(address, artifact: artifact) { data in
            defer { seq += 1; size += data.count }
            guard seq < chunks.count else { return }  // streamBlob refuses the blob right after
            if try storeChunk(hash: chunks[seq], data) {
                copied.chunks += 1
                copied.bytes += data.count
                progress(.chunk(bytes: data.count))
            }
        }
        try db.immediateTransaction { try register(StagedBlob(address: address, size: size, chunks: chunks)) }
        report.chunks += copied.chunks
        report.bytes += copied.bytes
        report.blobs += 1
    }

    // MARK: runs

    /// A pipeline run's stage runs (or one stage run outside a pipeline) in one transaction, with
    /// the pipeline run itself when this store does not have it yet.
    private func copyRuns(_ runs: [SourceStageRun], of pipelineRun: SourcePipelineRun?, from source: Store,
                          _ report: inout SyncReport) throws {
        var lineage: [Int64: (inputs: [(String, String)], outputs: [(String, String)], metrics: [[SQLValue]])] = [:]
        for run in runs {
            lineage[run.id] = (
                try source.db.query("SELECT name, artifact FROM stage_inputs WHERE stage_run = ? ORDER BY name", [.integer(run.id)]) { ($0.text(0), $0.text(1)) },
                try source.db.query("SELECT name, artifact FROM stage_outputs WHERE stage_run = ? ORDER BY name", [.integer(run.id)]) { ($0.text(0), $0.text(1)) },
                try source.db.query("SELECT name, value, step, split, tag, recorded_at FROM metrics WHERE stage_run = ? ORDER BY id",
                                    [.integer(run.id)]) { s in (0..<6).map { s.value(Int32($0)) } })
        }
        try db.immediateTransaction {
            var localRun: Int64?
            if let p = pipelineRun {
                let key: [SQLValue] = [.text(p.pipeline), .text(p.startedAt), .integer(p.pid), .text(p.host)]
                localRun = try db.queryOne("SELECT id FROM pipeline_runs WHERE pipeline = ? AND started_at = ? AND pid = ? AND host = ?", key) { $0.int(0) }
                if let id = localRun {
                    try db.run("UPDATE pipeline_runs SET status = ?, ended_at = ? WHERE id = ? AND status = 'running' AND ? <> 'running'",
                               [.text(p.status), .optional(p.endedAt), .integer(id), .text(p.status)])
                } else {
                    try db.run("""
                        INSERT INTO pipeline_runs (pipeline, status, started_at, ended_at, pid, host, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, [.text(p.pipeline), .text(p.status), .text(p.startedAt), .optional(p.endedAt), .integer(p.pid), .text(p.host), .text(p.metadata)])
                    localRun = db.lastInsertRowID
                    report.pipelineRuns += 1
                }
            }
            for run in runs {
                let exists = try db.queryOne("""
                    SELECT 1 FROM stage_runs WHERE stage = ? AND signature = ? AND started_at = ? AND pid = ? AND host = ? AND status = 'succeeded'
                    """, [.text(run.stage), .text(run.signature), .text(run.startedAt), .integer(run.pid), .text(run.host)]) { _ in true }
                if exists != nil { continue }
                try db.run("""
                    INSERT INTO stage_runs (pipeline_run, stage, signature, params, status, started_at, ended_at, exit_code, log, pid, host)
                    VALUES (?, ?, ?, ?, 'succeeded', ?, ?, ?, ?, ?, ?)
                    """, [localRun.map(SQLValue.integer) ?? .null, .text(run.stage), .text(run.signature), .text(run.params), .text(run.startedAt),
                          .optional(run.endedAt), run.exitCode.map(SQLValue.integer) ?? .null, .optional(run.log), .integer(run.pid), .text(run.host)])
                let id = db.lastInsertRowID
                let copied = lineage[run.id]!
                for (name, artifact) in copied.inputs {
                    try db.run("INSERT INTO stage_inputs (stage_run, name, artifact) VALUES (?, ?, ?)", [.integer(id), .text(name), .text(artifact)])
                }
                for (name, artifact) in copied.outputs {
                    try db.run("INSERT INTO stage_outputs (stage_run, name, artifact) VALUES (?, ?, ?)", [.integer(id), .text(name), .text(artifact)])
                }
                for values in copied.metrics {
                    try db.run("INSERT INTO metrics (stage_run, name, value, step, split, tag, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [.integer(id)] + values)
                }
                report.stageRuns += 1
                report.metrics += copied.metrics.count
            }
        }
    }
}
