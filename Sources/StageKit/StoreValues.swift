import Store

/// Parameters are kept in the store as JSON (stage_runs.params). JSON has one number type, so
/// reading them back needs the declared types (`ParamType.coerce`) to tell ints from floats.
extension ParamValue {
    public var json: JSON {
        switch self {
        case .int(let v): return .number(Double(v))
        case .float(let v): return .number(v)
        case .string(let v): return .string(v)
        case .bool(let v): return .bool(v)
        case .list(let v): return .array(v.map(\.json))
        }
    }

    /// Numbers that are whole come back as ints; `ParamType.coerce` widens them where declared float.
    public init?(json: JSON) {
        switch json {
        case .number(let d):
            if let i = Int(exactly: d) { self = .int(i) } else { self = .float(d) }
        case .string(let s): self = .string(s)
        case .bool(let b): self = .bool(b)
        case .array(let items):
            var out: [ParamValue] = []
            for item in items {
                guard let v = ParamValue(json: item) else { return nil }
                out.append(v)
            }
            self = .list(out)
        default: return nil
        }
    }

    public static func json(_ params: [String: ParamValue]) -> JSON { .object(params.mapValues(\.json)) }

    /// Params as stored, typed by `description` where it declares them.
    public static func params(from json: JSON, typedBy description: StageDescription?) -> [String: ParamValue]? {
        guard case .object(let fields) = json else { return nil }
        var out: [String: ParamValue] = [:]
        for (key, value) in fields {
            guard let v = ParamValue(json: value) else { return nil }
            out[key] = description?.param(key)?.type.coerce(v) ?? v
        }
        return out
    }
}
