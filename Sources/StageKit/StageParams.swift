import Foundation

/// Why a set of parameter values does not fit a stage's declared schema, per key.
public enum ParamProblem: Equatable, Sendable, CustomStringConvertible {
    case unknown(name: String, known: [String])
    case wrongType(name: String, expected: ParamType, got: ParamValue)
    case notAChoice(name: String, value: String, choices: [String])
    case missing(name: String)
    /// A value the parameter's declaration does not allow (a knob outside its range); `reason` is the whole message.
    case notAllowed(name: String, reason: String)

    public var name: String {
        switch self {
        case .unknown(let n, _), .wrongType(let n, _, _), .notAChoice(let n, _, _), .missing(let n), .notAllowed(let n, _): return n
        }
    }

    public var description: String {
        switch self {
        case .unknown(let n, let known):
            return "unknown parameter '\(n)' (declared: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case .wrongType(let n, let expected, let got):
            return "parameter '\(n)' must be \(expected.rawValue), got \(got.display)"
        case .notAChoice(let n, let v, let choices):
            return "parameter '\(n)' is \"\(v)\", expected one of: \(choices.joined(separator: ", "))"
        case .missing(let n):
            return "required parameter '\(n)' is not set"
        case .notAllowed(_, let reason):
            return reason
        }
    }
}

extension StageDescription {
    /// The complete, typed parameter set: `given` values coerced to their declared types, plus
    /// defaults for the rest. Every problem is reported, not just the first: `StageError.badParams`
    /// lists them all.
    public func resolveParams(_ given: [String: ParamValue]) throws(StageError) -> [String: ParamValue] {
        var resolved: [String: ParamValue] = [:]
        var problems: [ParamProblem] = []
        for key in given.keys.sorted() where param(key) == nil {
            problems.append(.unknown(name: key, known: params.map(\.name)))
        }
        for spec in params {
            guard let raw = given[spec.name] ?? spec.defaultValue else {
                problems.append(.missing(name: spec.name)); continue
            }
            guard let value = spec.type.coerce(raw) else {
                problems.append(.wrongType(name: spec.name, expected: spec.type, got: raw)); continue
            }
            if let choices = spec.choices, case .string(let s) = value, !choices.contains(s) {
                problems.append(.notAChoice(name: spec.name, value: s, choices: choices)); continue
            }
            resolved[spec.name] = value
        }
        guard problems.isEmpty else { throw .badParams(ParamProblemList(stage: name, problems: problems)) }
        return resolved
    }
}

public struct ParamProblemList: Equatable, Sendable, CustomStringConvertible {
    public var stage: String
    public var problems: [ParamProblem]
    public var description: String {
        "\(stage): " + problems.map(\.description).joined(separator: "; ")
    }
}

/// Typed read access to a stage's resolved parameters. Values were checked against the
/// description before the stage ran, so asking for an undeclared name or the wrong type is a
/// bug in the stage and traps with a message.
public struct StageParams: Sendable {
    public let values: [String: ParamValue]

    public init(_ values: [String: ParamValue]) { self.values = values }

    private func value(_ name: String) -> ParamValue {
        guard let v = values[name] else { preconditionFailure("stage asked for undeclared parameter '\(name)'") }
        return v
    }

    public func int(_ name: String) -> Int {
        guard case .int(let v) = value(name) else { preconditionFailure("parameter '\(name)' is not an int") }
        return v
    }
    public func float(_ name: String) -> Double {
        switch value(name) {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: preconditionFailure("parameter '\(name)' is not a float")
        }
    }
    public func string(_ name: String) -> String {
        guard case .string(let v) = value(name) else { preconditionFailure("parameter '\(name)' is not a string") }
        return v
    }
    public func bool(_ name: String) -> Bool {
        guard case .bool(let v) = value(name) else { preconditionFailure("parameter '\(name)' is not a bool") }
        return v
    }
    private func list(_ name: String) -> [ParamValue] {
        guard case .list(let v) = value(name) else { preconditionFailure("parameter '\(name)' is not a list") }
        return v
    }
    public func ints(_ name: String) -> [Int] {
        list(name).map { guard case .int(let v) = $0 else { preconditionFailure("'\(name)' is not [int]") }; return v }
    }
    public func floats(_ name: String) -> [Double] {
        list(name).map {
            switch $0 {
            case .float(let v): return v
            case .int(let v): return Double(v)
            default: preconditionFailure("'\(name)' is not [float]")
            }
        }
    }
    public func strings(_ name: String) -> [String] {
        list(name).map { guard case .string(let v) = $0 else { preconditionFailure("'\(name)' is not [string]") }; return v }
    }

    /// All values as canonical JSON with sorted keys (what stage-run records and signatures store).
    public var canonicalJSON: String { CanonicalJSON.params(values) }
}
