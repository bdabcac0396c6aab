/// A parsed TOML value with the line it started on (1-based), so every later check can point
/// at the file position that caused it.
public struct TOMLNode {
    public var value: TOMLValue
    public var line: Int
}

public enum TOMLValue {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLNode])
    case table(TOMLTable)

    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .bool: return "boolean"
        case .array: return "array"
        case .table: return "table"
        }
    }
}

/// A TOML table keeping its keys in file order.
public final class TOMLTable {
    public let line: Int
    public private(set) var keys: [String] = []
    private var entries: [String: TOMLNode] = [:]
    /// Defined by a `[header]` of its own (defining it again is an error).
    var definedByHeader = false
    /// Inline tables and tables created by dotted keys cannot be reopened by a header.
    var sealed = false
    /// Inline tables cannot be extended by dotted keys either.
    var isInline = false

    init(line: Int) { self.line = line }

    public subscript(key: String) -> TOMLNode? { entries[key] }

    func set(_ key: String, _ node: TOMLNode) {
        if entries[key] == nil { keys.append(key) }
        entries[key] = node
    }
}
