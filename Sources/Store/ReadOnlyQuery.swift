import CSQLite
import Foundation

/// The rows of a query, with formatters for the `query` command.
public struct QueryResult: Equatable, Sendable {
    public let columns: [String]
    public let rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// Runs one user-supplied SQL statement against a store without any way to modify it: the
/// connection is opened read-only at the file level and with `PRAGMA query_only`; statements that
/// would write, ATTACH/DETACH, pragma assignments and a second statement after `;` are refused
/// before anything runs.
public enum ReadOnlyQuery {
    public static func run(_ sql: String, storePath: String) throws -> QueryResult {
        guard FileManager.default.fileExists(atPath: storePath) else {
            throw StoreError.io(path: storePath, reason: "no store here (set --store or $LZN_STORE)")
        }
        let db = try Database(path: storePath, mode: .readOnly)
        defer { db.close() }
        try db.execute("PRAGMA query_only = 1")
        let pragmas = PragmaLog()
        sqlite3_set_authorizer(db.handle, readOnlyAuthorizer, Unmanaged.passUnretained(pragmas).toOpaque())
        defer { sqlite3_set_authorizer(db.handle, nil, nil) }
        let statement: Statement
        do {
            statement = try Statement(database: db, sql: sql)
        } catch StoreError.sqlite(_, SQLITE_AUTH, let message, _) {
            throw StoreError.readOnlyQuery("ATTACH, DETACH, pragma assignments and pragmas that write are not allowed (\(message))")
        }
        defer { statement.finalize() }
        guard isBlank(statement.tail, in: db) else {
            throw StoreError.readOnlyQuery("only one statement may be run; found more after the first ';'")
        }
        // SQLite flags most pragmas as writing; the authorizer already let through only reading ones.
        let isAllowedPragma = pragmas.count > 0
            && sql.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().hasPrefix("pragma")
        guard sqlite3_stmt_readonly(statement.handle) != 0 || isExplain(statement) || isAllowedPragma else {
            throw StoreError.readOnlyQuery("the statement would modify the database; only reads are allowed")
        }
        let columns = (0..<statement.columnCount).map(statement.columnName)
        var rows: [[SQLValue]] = []
        while try statement.step() { rows.append((0..<statement.columnCount).map(statement.value)) }
        return QueryResult(columns: columns, rows: rows)
    }

    /// True when the text holds no statement (only whitespace and comments).
    private static func isBlank(_ tail: String, in db: Database) -> Bool {
        do {
            try Statement(database: db, sql: tail).finalize()
            return false
        } catch StoreError.sqlite(_, SQLITE_MISUSE, "no SQL statement in the text", _) {
            return true
        } catch {
            return false
        }
    }

    private static func isExplain(_ s: Statement) -> Bool { sqlite3_stmt_isexplain(s.handle) != 0 }
}

/// Pragmas that only read, allowed with an argument (e.g. `PRAGMA table_info(artifacts)`).
private let pragmasReadingWithArgument: Set<String> = [
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
    "foreign_key_check", "integrity_check", "quick_check",
]

/// Pragmas that only read when given no argument (e.g. `PRAGMA user_version`).
private let pragmasReadingWithoutArgument: Set<String> = pragmasReadingWithArgument.union([
    "function_list", "module_list", "pragma_list", "collation_list", "database_list", "compile_options",
    "journal_mode", "user_version", "schema_version", "application_id", "page_size", "page_count", "freelist_count",
    "auto_vacuum", "encoding", "foreign_keys", "data_version", "cache_size", "busy_timeout", "query_only",
    "synchronous",
])

/// Counts the pragmas the authorizer let through while preparing.
private final class PragmaLog { var count = 0 }

private let readOnlyAuthorizer: @convention(c) (
    UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?
) -> Int32 = { context, action, first, second, _, _ in
    switch action {
    case SQLITE_ATTACH, SQLITE_DETACH:
        return SQLITE_DENY
    case SQLITE_PRAGMA:
        guard let name = first.map({ String(cString: $0).lowercased() }) else { return SQLITE_DENY }
        let allowed = second == nil ? pragmasReadingWithoutArgument : pragmasReadingWithArgument
        guard allowed.contains(name) else { return SQLITE_DENY }
        if let context { Unmanaged<PragmaLog>.fromOpaque(context).takeUnretainedValue().count += 1 }
        return SQLITE_OK
    default:
        return SQLITE_OK
    }
}

extension QueryResult {
    /// Columns padded to equal width, numbers right-aligned, a rule under the header.
    public func table() -> String {
        let cells = rows.map { $0.map(Self.cell) }
        var widths = columns.map(\.count)
        for row in cells { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ values: [String], numeric: [Bool]) -> String {
            values.enumerated().map { i, v in
                let pad = String(repeating: " ", count: widths[i] - v.count)
                return numeric[i] ? pad + v : v + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let numeric = rows.map { $0.map { if case .integer = $0 { return true }; if case .real = $0 { return true }; return false } }
        var out = [line(columns, numeric: columns.map { _ in false })]
        out.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for (row, isNumber) in zip(cells, numeric) { out.append(line(row, numeric: isNumber)) }
        return out.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 CSV with a header row; NULL is an empty field.
    public func csv() -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let lines = [columns.map(field).joined(separator: ",")]
            + rows.map { $0.map { $0 == .null ? "" : field(Self.cell($0)) }.joined(separator: ",") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A JSON array with one object per row, keys in column order.
    public func json() -> String {
        let objects = rows.map { row -> String in
            let members = zip(columns, row).map { column, value -> String in
                let v: JSON
                switch value {
                case .null: v = .null
                case .integer(let i): v = .number(Double(i))
                case .real(let d): v = d.isFinite ? .number(d) : .string("\(d)")
                case .text(let s): v = .string(s)
                case .blob: v = .string(Self.cell(value))
                }
                if case .integer(let i) = value { return JSON.string(column).text + ":" + String(i) }
                return JSON.string(column).text + ":" + v.text
            }
            return "{" + members.joined(separator: ",") + "}"
        }
        return "[" + objects.joined(separator: ",\n") + "]\n"
    }

    static func cell(_ value: SQLValue) -> String {
        switch value {
        case .null: return "NULL"
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .text(let s): return s
        case .blob(let b): return "<blob \(b.count) bytes>"
        }
    }
}
