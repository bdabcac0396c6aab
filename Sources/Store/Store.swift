import Foundation

/// The lzn-pipe artifact store: one SQLite file holding content-addressed blobs, typed artifacts,
/// runs, lineage and metrics (see schema/ and the README section "The store").
///
/// One `Store` is one connection: use it from one thread at a time. Several processes may open the
/// same file at once (WAL mode, busy timeout, immediate write transactions).
public final class Store {
    public let path: String
    /// Size of the chunks new content is split into.
    public let chunkSize: Int
    public static let defaultChunkSize = 4 << 20

    let db: Database
    private var sessionID: Int64?
    static let hostName: String = ProcessInfo.processInfo.hostName

    /// Opens (creating the file and its directory if needed) and upgrades a store.
    /// Throws `StoreError.newerSchema` without touching a store written by a newer lzn-pipe.
    public static func open(_ path: String, chunkSize: Int = Store.defaultChunkSize) throws -> Store {
        try Store(path: path, chunkSize: chunkSize)
    }

    /// Opens an existing store to read it: nothing is created, upgraded or written, so inspecting a
    /// store cannot change it (and works on a read-only file). A store of an older schema version is
    /// handed to `open`, which upgrades it, since this version's queries need the current tables.
    public static func openForReading(_ path: String) throws -> Store {
        let store = try Store(path: path, chunkSize: defaultChunkSize, readOnly: true)
        guard try store.schemaVersion < Schema.currentVersion else { return store }
        store.close()
        return try open(path)
    }

    /// The store path a command uses: `--store PATH`, else `$LZN_STORE`, else `.lzn/store.sqlite`
    /// under the current directory.
    public static func resolvePath(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                   currentDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["LZN_STORE"], !env.isEmpty { return env }
        return URL(fileURLWithPath: currentDirectory).appendingPathComponent(".lzn/store.sqlite").path
    }

    private init(path: String, chunkSize: Int, readOnly: Bool = false) throws {
        precondition(chunkSize > 0, "chunk size must be positive")
        self.path = path
        self.chunkSize = chunkSize
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else { throw StoreError.noStore(path) }
            db = try Database(path: path, mode: .readOnly)
            let found = try Store.supportedVersion(db, path: path)
            guard found > 0 else { throw StoreError.notAStore(store: path, reason: "it has no lzn-pipe schema version") }
            return
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.cannotCreateDirectory(path: directory.path, reason: error.localizedDescription)
        }
        db = try Database(path: path, mode: .readWrite)
        try Store.prepareAndMigrate(db, path: path)
    }

    deinit { close() }

    /// Releases this connection's write session (its pins on freshly written blobs) and closes.
    public func close() {
        if let id = sessionID, db.handle != nil {
            try? db.immediateTransaction { try db.run("DELETE FROM write_sessions WHERE id = ?", [.integer(id)]) }
        }
        sessionID = nil
        db.close()
    }

    private static func prepareAndMigrate(_ db: Database, path: String) throws {
        let found = try supportedVersion(db, path: path)
        if found == 0 {
            let tables = try db.queryOne("SELECT count(*) FROM sqlite_schema") { $0.int(0) } ?? 0
            if tables > 0 {
                let ours = try db.queryOne("SELECT count(*) FROM sqlite_schema WHERE name = 'chunks'") { $0.int(0) } ?? 0
                if ours == 0 {
                    throw StoreError.notAStore(store: path, reason: "it holds other tables and no lzn-pipe schema version")
                }
            } else {
                // Only effective on an empty file: big pages for chunk data, and reclaimable free pages.
                try db.execute("PRAGMA page_size = 16384; PRAGMA auto_vacuum = INCREMENTAL;")
            }
        }
        _ = try db.queryOne("PRAGMA journal_mode = WAL") { $0.text(0) }
        // NORMAL: WAL commits survive a process crash; only power loss can lose the last commits.
        // journal_size_limit: truncate the WAL after checkpoints instead of keeping a 300 MB file.
        try db.execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 67108864;")
        guard found < Schema.currentVersion else { return }
        try db.immediateTransaction {
            let current = try supportedVersion(db, path: path)  // another process may have migrated meanwhile
            for migration in Schema.migrations where migration.version > current {
                try db.execute(migration.sql)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }

    /// The store's schema version, or `StoreError.newerSchema` when this lzn-pipe cannot read it.
    private static func supportedVersion(_ db: Database, path: String) throws -> Int32 {
        let found = try userVersion(db)
        guard found <= Schema.currentVersion else {
            throw StoreError.newerSchema(store: path, found: found, supported: Schema.currentVersion)
        }
        return found
    }

    static func userVersion(_ db: Database) throws -> Int32 {
        Int32(try db.queryOne("PRAGMA user_version") { $0.int(0) } ?? 0)
    }

    /// The schema version of this store (PRAGMA user_version).
    public var schemaVersion: Int32 { get throws { try Store.userVersion(db) } }

    /// This connection's write session, created on first use (see write_sessions in schema/).
    func writeSession() throws -> Int64 {
        if let sessionID { return sessionID }
        let id = try db.immediateTransaction { () -> Int64 in
            try db.run("INSERT INTO write_sessions (pid, host) VALUES (?, ?)",
                       [.integer(Int64(getpid())), .text(Store.hostName)])
            return db.lastInsertRowID
        }
        sessionID = id
        return id
    }

    /// Whether a process recorded as (pid, host) may still be running. Other hosts are assumed alive.
    static func processMayBeAlive(pid: Int64, host: String) -> Bool {
        guard host == hostName else { return true }
        if pid == Int64(getpid()) { return true }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }
}
