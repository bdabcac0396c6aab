import CSQLite
import Foundation

/// One SQLite connection: prepared statements (cached by SQL text), typed binds, immediate
/// transactions with retry on SQLITE_BUSY. Not thread-safe: use one per thread.
final class Database {
    enum Mode { case readWrite, readOnly }

    let path: String
    private(set) var handle: OpaquePointer?
    private var cache: [String: Statement] = [:]
    private var transactionDepth = 0
    private var inReadTransaction = false
    static let busyTimeoutMilliseconds: Int32 = 60_000

    init(path: String, mode: Mode) throws {
        self.path = path
        let flags = mode == .readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw StoreError.sqlite(store: path, code: rc, message: message, context: "opening \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, Database.busyTimeoutMilliseconds)
    }

    deinit { close() }

    func close() {
        cache.values.forEach { $0.finalize() }
        cache = [:]
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func error(_ rc: Int32, _ context: String) -> StoreError {
        .sqlite(store: path, code: rc, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed", context: context)
    }

    /// Runs SQL text that may hold several statements and returns no rows (schema, pragmas).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            throw StoreError.sqlite(store: path, code: rc, message: text, context: "executing \(sql.prefix(60))")
        }
    }

    /// A cached prepared statement, reset and with its bindings cleared.
    func prepare(_ sql: String) throws -> Statement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs one statement with arguments and discards any rows.
    func run(_ sql: String, _ arguments: [SQLValue] = []) throws {
        let s = try prepare(sql)
        try s.bind(arguments)
        while try s.step() {}
        s.reset()
    }

    /// All rows of a query, each mapped by `row`.
    func query<T>(_ sql: String, _ arguments: [SQLValue] = [], row: (Statement) throws -> T) throws -> [T] {
        let s = try prepare(sql)
        defer { s.reset() }
        try s.bind(arguments)
        var out: [T] = []
        while try s.step() { out.append(try row(s)) }
        return out
    }

    func queryOne<T>(_ sql: String, _ arguments: [SQLValue] = [], row: (Statement) throws -> T) throws -> T? {
        let s = try prepare(sql)
        defer { s.reset() }
        try s.bind(arguments)
        return try s.step() ? row(s) : nil
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` inside BEGIN IMMEDIATE … COMMIT (rolled back if it throws). The write lock is
    /// taken up front, so the transaction never fails half-way for lock reasons; SQLITE_BUSY on BEGIN
    /// (another writer past the busy timeout, or WAL recovery) is retried with backoff.
    /// Nested calls join the outer transaction.
    func immediateTransaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            precondition(!inReadTransaction, "a write transaction cannot join a read transaction (\(path))")
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            return try body()
        }
        try retryingBusy { try execute("BEGIN IMMEDIATE") }
        transactionDepth = 1
        defer { transactionDepth = 0 }
        do {
            let result = try body()
            try retryingBusy { try execute("COMMIT") }
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// A consistent snapshot for several reads (BEGIN DEFERRED … COMMIT).
    func readTransaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 { return try body() }
        try execute("BEGIN")
        transactionDepth = 1
        inReadTransaction = true
        defer {
            transactionDepth = 0
            inReadTransaction = false
            try? execute("COMMIT")
        }
        return try body()
    }

    private func retryingBusy(_ operation: () throws -> Void) throws {
        var delay: useconds_t = 1_000
        for attempt in 0... {
            do {
                return try operation()
            } catch let e as StoreError where e.isBusy && attempt < 10 {
                usleep(delay)
                delay = min(delay * 2, 200_000)
            }
        }
    }
}

extension StoreError {
    /// A SQLite failure because another connection holds a lock (SQLITE_BUSY or SQLITE_LOCKED).
    var isBusy: Bool {
        guard case .sqlite(_, let code, _, _) = self else { return false }
        return code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED
    }
}
