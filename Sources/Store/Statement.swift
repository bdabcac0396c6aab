import CSQLite

/// A value bound to or read from SQL.
public enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    static func optional(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
    static func optional(_ i: Int64?) -> SQLValue { i.map { .integer($0) } ?? .null }
    static func optional(_ d: Double?) -> SQLValue { d.map { .real($0) } ?? .null }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Columns are read while positioned on a row (after `step()` returned true).
final class Statement {
    let sql: String
    private unowned let database: Database
    private(set) var handle: OpaquePointer?
    /// Bytes of the SQL after the first statement (non-empty when the text holds several statements).
    let tail: String

    init(database: Database, sql: String) throws {
        self.database = database
        self.sql = sql
        var statement: OpaquePointer?
        var consumed = 0
        let rc = sql.withCString { text -> Int32 in
            var tailPointer: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v2(database.handle, text, -1, &statement, &tailPointer)
            if let tailPointer { consumed = text.distance(to: tailPointer) }
            return rc
        }
        guard rc == SQLITE_OK else { throw database.error(rc, "preparing \(sql.prefix(200))") }
        guard let statement else {
            throw StoreError.sqlite(store: database.path, code: SQLITE_MISUSE, message: "no SQL statement in the text",
                                    context: "preparing \(sql.prefix(200))")
        }
        handle = statement
        tail = String(decoding: sql.utf8.dropFirst(consumed), as: UTF8.self)
    }

    func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ values: [SQLValue]) throws {
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    func bind(_ value: SQLValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, transient)
        case .blob(let v):
            rc = v.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), sqlite3_uint64($0.count), transient) }
        }
        guard rc == SQLITE_OK else { throw database.error(rc, "binding parameter \(index) of \(sql.prefix(80))") }
    }

    /// Binds bytes without copying; they must stay valid until the statement is stepped and reset.
    func bindNoCopy(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let rc = sqlite3_bind_blob64(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                     sqlite3_uint64(bytes.count), nil)
        guard rc == SQLITE_OK else { throw database.error(rc, "binding blob of \(sql.prefix(80))") }
    }

    /// Advances to the next row; false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let e = database.error(rc, "running \(sql.prefix(200))")
            sqlite3_reset(handle)
            throw e
        }
    }

    var columnCount: Int32 { sqlite3_column_count(handle) }
    func columnName(_ i: Int32) -> String { String(cString: sqlite3_column_name(handle, i)) }
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    func int(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
    func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(handle, i) else { return "" }
        return String(cString: p)
    }
    func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
    func optionalInt(_ i: Int32) -> Int64? { isNull(i) ? nil : int(i) }
    func optionalDouble(_ i: Int32) -> Double? { isNull(i) ? nil : double(i) }

    /// The column's bytes, valid only until the next step/reset.
    func blobBytes(_ i: Int32) -> UnsafeRawBufferPointer {
        let p = sqlite3_column_blob(handle, i)
        let n = Int(sqlite3_column_bytes(handle, i))
        return UnsafeRawBufferPointer(start: p, count: p == nil ? 0 : n)
    }

    func value(_ i: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .integer(int(i))
        case SQLITE_FLOAT: return .real(double(i))
        case SQLITE_TEXT: return .text(text(i))
        case SQLITE_BLOB: return .blob(Array(blobBytes(i)))
        default: return .null
        }
    }
}
