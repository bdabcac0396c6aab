import Foundation

/// A parameter value as stages and pipelines see it. Integers and floats are kept apart so a
/// signature never depends on how a number happened to be spelled in a file (`1` vs `1.0`):
/// values are coerced to the declared type before anything is hashed.
public enum ParamValue: Equatable, Hashable, Sendable {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case list([ParamValue])

    /// Canonical JSON text: no whitespace, floats in Swift's shortest round-trip form (always with
    /// a `.` or exponent, so they never read back as integers).
    public var canonicalJSON: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return CanonicalJSON.number(v)
        case .string(let s): return CanonicalJSON.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .list(let items): return "[" + items.map(\.canonicalJSON).joined(separator: ",") + "]"
        }
    }

    /// Short human form for messages and dry-run reasons.
    public var display: String {
        switch self {
        case .string(let s): return CanonicalJSON.quote(s)
        default: return canonicalJSON
        }
    }
}

/// Deterministic JSON writing shared by signatures, stage-run records and `--describe`.
public enum CanonicalJSON {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        let text = "\(v)"
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }

    /// An object with keys sorted by their UTF-8 bytes.
    public static func object(_ fields: [String: String]) -> String {
        let body = fields.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .map { quote($0) + ":" + fields[$0]! }
        return "{" + body.joined(separator: ",") + "}"
    }

    public static func params(_ values: [String: ParamValue]) -> String {
        object(values.mapValues(\.canonicalJSON))
    }
}

extension ParamValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .float(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let l = try? c.decode([ParamValue].self) { self = .list(l); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a parameter value")
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .float(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .list(let v): try c.encode(v)
        }
    }
}
