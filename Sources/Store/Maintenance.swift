import ArrayFormats
import Foundation

/// What `gc` removed (or, for a dry run, would remove).
public struct GCReport: Equatable, Sendable {
    public var abandonedSessions = 0
    public var blobs = 0
    public var chunks = 0
    /// Chunk bytes removed: the stored content that is gone.
    public var bytesFreed = 0

    public init(abandonedSessions: Int = 0, blobs: Int = 0, chunks: Int = 0, bytesFreed: Int = 0) {
        self.abandonedSessions = abandonedSessions
        self.blobs = blobs
        self.chunks = chunks
        self.bytesFreed = bytesFreed
    }
}

/// The outcome of `fsck`: every problem found, plus garbage `gc` would remove (not a problem).
public struct FsckReport: Equatable, Sendable {
    public var problems: [String] = []
    public var blobsChecked = 0
    public var bytesChecked = 0
    public var unreferencedChunks = 0
    public var isClean: Bool { problems.isEmpty }
}

extension Store {
    /// Re-hashes every referenced blob (each chunk and the whole content) and checks SQLite's
    /// integrity, foreign keys and every tensor payload's size. Reads only.
    public func fsck() throws -> FsckReport {
        var report = FsckReport()
        try db.readTransaction {
            report.problems += try db.query("PRAGMA integrity_check") { $0.text(0) }
                .filter { $0 != "ok" }.map { "integrity_check: \($0)" }
            report.problems += try db.query("PRAGMA foreign_key_check") { s in
                "dangling reference: row \(s.optionalInt(1).map(String.init) ?? "?") of \(s.text(0)) points to a missing \(s.text(2)) row"
            }
            let owners = try blobOwners()
            let blobs = try db.query("SELECT address, size FROM blobs ORDER BY address") { ($0.text(0), Int($0.int(1))) }
            for (text, size) in blobs {
                guard let address = BlobAddress(text) else { report.problems.append("malformed blob address \(text)"); continue }
                let label = owners[text]?.joined(separator: ", ")
                do {
                    try streamBlob(address, artifact: label) { _ in }
                    report.blobsChecked += 1
                    report.bytesChecked += size
                } catch let e as StoreError {
                    report.problems.append(e.description)
                }
            }
            report.problems += try tensorSizeProblems()
            report.unreferencedChunks = Int(try db.queryOne("""
                SELECT count(*) FROM chunks WHERE hash NOT IN (SELECT chunk FROM blob_chunks)
                AND hash NOT IN (SELECT chunk FROM session_chunks)
                """) { $0.int(0) } ?? 0)
        }
        return report
    }

    /// For each blob address, how the artifacts using it are named in reports.
    private func blobOwners() throws -> [String: [String]] {
        var owners: [String: [String]] = [:]
        for (blob, label) in try db.query("""
            SELECT blob, name || ' (' || substr(id, 1, 12) || ')' FROM artifacts
            UNION ALL
            SELECT m.blob, a.name || ' (' || substr(a.id, 1, 12) || ') member ' || m.name
            FROM bundle_members AS m JOIN artifacts AS a ON a.id = m.artifact
            """, row: { ($0.text(0), $0.text(1)) }) {
            owners[blob, default: []].append(label)
        }
        return owners
    }

    /// Tensor blobs must be exactly the canonical .npy header plus dtype × shape bytes.
    private func tensorSizeProblems() throws -> [String] {
        try db.query("""
            SELECT a.name || ' (' || substr(a.id, 1, 12) || ')', a.dtype, a.shape, b.size FROM artifacts AS a
            JOIN blobs AS b ON b.address = a.blob WHERE a.kind = 'tensor'
            UNION ALL
            SELECT a.name || ' (' || substr(a.id, 1, 12) || ') member ' || m.name, m.dtype, m.shape, b.size
            FROM bundle_members AS m JOIN artifacts AS a ON a.id = m.artifact JOIN blobs AS b ON b.address = m.blob
            """) { s -> String? in
            let label = s.text(0)
            guard let dtype = DType(rawValue: s.optionalText(1) ?? ""),
                  let shape = (try? JSON(parsing: s.optionalText(2) ?? ""))?.arrayValue?.compactMap(\.intValue) else {
                return "tensor \(label): missing or malformed dtype/shape"
            }
            let expected = NPY.headerBytes(dtype: dtype, shape: shape).count + NDArray.elementCount(shape) * dtype.byteSize
            let actual = Int(s.int(3))
            return actual == expected ? nil : "tensor \(label): payload is \(actual) bytes, \(dtype) \(shape) needs \(expected)"
        }.compactMap { $0 }
    }

    /// Deletes the artifacts named `name`, except `keeping`, that no stage run consumed, produced or
    /// logged to: scratch such as a training stage's resume checkpoints, which only the newest attempt
    /// needs. Their content is left to `gc`. Returns how many artifacts were deleted.
    @discardableResult
    public func discardArtifacts(named name: String, keeping: ArtifactID? = nil) throws -> Int {
        try db.immediateTransaction { try deleteUnreferencedArtifacts(named: name, keeping: keeping) }
    }

    /// `discardArtifacts` inside the caller's transaction.
    func deleteUnreferencedArtifacts(named name: String, keeping: ArtifactID?) throws -> Int {
        let doomed = """
            SELECT id FROM artifacts WHERE name = ?1 AND id IS NOT ?2
            AND id NOT IN (SELECT artifact FROM stage_inputs) AND id NOT IN (SELECT artifact FROM stage_outputs)
            AND id NOT IN (SELECT log FROM stage_runs WHERE log IS NOT NULL)
            """
        let bindings: [SQLValue] = [.text(name), .optional(keeping?.hex)]
        try db.run("DELETE FROM bundle_members WHERE artifact IN (\(doomed))", bindings)
        try db.run("DELETE FROM artifacts WHERE id IN (\(doomed))", bindings)
        return db.changes
    }

    /// Removes blobs no artifact references and chunks no blob references, after dropping the write
    /// sessions of processes that died (their staged, never-registered content is garbage too).
    /// Content pinned by a live writer is kept. Then returns free pages to the file system.
    public func gc(dryRun: Bool = false) throws -> GCReport {
        struct DryRun: Error { let report: GCReport }
        do {
            let report = try db.immediateTransaction { () -> GCReport in
                var report = GCReport()
                let sessions = try db.query("SELECT id, pid, host FROM write_sessions") {
                    ($0.int(0), $0.int(1), $0.text(2))
                }
                for (id, pid, host) in sessions where !Store.processMayBeAlive(pid: pid, host: host) {
                    try db.run("DELETE FROM write_sessions WHERE id = ?", [.integer(id)])
                    report.abandonedSessions += 1
                }
                try db.run("""
                    CREATE TEMP TABLE IF NOT EXISTS gc_blobs (address TEXT PRIMARY KEY);
                    """)
                try db.run("DELETE FROM temp.gc_blobs")
                try db.run("""
                    INSERT INTO temp.gc_blobs SELECT address FROM blobs
                    WHERE address NOT IN (SELECT blob FROM artifacts) AND address NOT IN (SELECT blob FROM bundle_members)
                    AND address NOT IN (SELECT blob FROM session_blobs)
                    """)
                report.blobs = db.changes
                try db.run("DELETE FROM blobs WHERE address IN (SELECT address FROM temp.gc_blobs)")
                let garbage = try db.queryOne("""
                    SELECT count(*), coalesce(sum(size), 0) FROM chunks
                    WHERE hash NOT IN (SELECT chunk FROM blob_chunks) AND hash NOT IN (SELECT chunk FROM session_chunks)
                    """) { (Int($0.int(0)), Int($0.int(1))) } ?? (0, 0)
                (report.chunks, report.bytesFreed) = garbage
                try db.run("""
                    DELETE FROM chunks
                    WHERE hash NOT IN (SELECT chunk FROM blob_chunks) AND hash NOT IN (SELECT chunk FROM session_chunks)
                    """)
                try db.run("DELETE FROM temp.gc_blobs")
                if dryRun { throw DryRun(report: report) }
                return report
            }
            try? db.execute("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
            return report
        } catch let dry as DryRun {
            return dry.report
        }
    }
}
