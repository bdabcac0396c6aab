import Foundation
import Store

/// The declared type of a stage parameter.
public enum ParamType: String, Codable, Sendable, CaseIterable {
    case int, float, string, bool
    case intList = "[int]", floatList = "[float]", stringList = "[string]"

    var elementType: ParamType? {
        switch self {
        case .intList: return .int
        case .floatList: return .float
        case .stringList: return .string
        default: return nil
        }
    }

    /// `value` converted to this type, or nil when it does not fit. The only widening is an
    /// integer given for a float (so `lr = 1` means 1.0); everything else must match exactly.
    public func coerce(_ value: ParamValue) -> ParamValue? {
        switch (self, value) {
        case (.int, .int), (.string, .string), (.bool, .bool), (.float, .float): return value
        case (.float, .int(let i)): return .float(Double(i))
        case (_, .list(let items)):
            guard let element = elementType else { return nil }
            var out: [ParamValue] = []
            for item in items {
                guard let v = element.coerce(item) else { return nil }
                out.append(v)
            }
            return .list(out)
        default: return nil
        }
    }
}

/// One declared parameter. No default means the pipeline must set it.
public struct ParamSpec: Codable, Equatable, Sendable {
    public var name: String
    public var type: ParamType
    public var defaultValue: ParamValue?
    /// For string parameters with a closed set of values (e.g. a mode).
    public var choices: [String]?
    public var doc: String

    public init(_ name: String, _ type: ParamType, default defaultValue: ParamValue? = nil,
                choices: [String]? = nil, doc: String) {
        self.name = name; self.type = type; self.defaultValue = defaultValue
        self.choices = choices; self.doc = doc
    }

    public static func int(_ name: String, default d: Int? = nil, doc: String) -> ParamSpec {
        ParamSpec(name, .int, default: d.map(ParamValue.int), doc: doc)
    }
    public static func float(_ name: String, default d: Double? = nil, doc: String) -> ParamSpec {
        ParamSpec(name, .float, default: d.map(ParamValue.float), doc: doc)
    }
    public static func string(_ name: String, default d: String? = nil, choices: [String]? = nil, doc: String) -> ParamSpec {
        ParamSpec(name, .string, default: d.map(ParamValue.string), choices: choices, doc: doc)
    }
    public static func bool(_ name: String, default d: Bool? = nil, doc: String) -> ParamSpec {
        ParamSpec(name, .bool, default: d.map(ParamValue.bool), doc: doc)
    }
    public static func ints(_ name: String, default d: [Int]? = nil, doc: String) -> ParamSpec {
        ParamSpec(name, .intList, default: d.map { .list($0.map(ParamValue.int)) }, doc: doc)
    }
    public static func floats(_ name: String, default d: [Double]? = nil, doc: String) -> ParamSpec {
        ParamSpec(name, .floatList, default: d.map { .list($0.map(ParamValue.float)) }, doc: doc)
    }
    public static func strings(_ name: String, default d: [String]? = nil, doc: String) -> ParamSpec {
        ParamSpec(name, .stringList, default: d.map { .list($0.map(ParamValue.string)) }, doc: doc)
    }

    enum CodingKeys: String, CodingKey { case name, type, defaultValue = "default", choices, doc }
}

/// A named artifact a stage consumes or produces; `kind` is the store's `ArtifactKind` raw value
/// ("tensor", "bundle", "dataset", "image", "text", "json").
public struct ArtifactSpec: Codable, Equatable, Sendable {
    public var name: String
    public var kind: String
    public var optional: Bool
    public var doc: String

    public init(_ name: String, kind: String, optional: Bool = false, doc: String) {
        self.name = name; self.kind = kind; self.optional = optional; self.doc = doc
    }
}

/// What `STAGE --describe` prints. `name` + `version` are the stage's executable identity: the
/// version is a string compiled into the executable and bumped by hand whenever a code change
/// alters results, so a plain rebuild does not invalidate stored results but a real change does.
public struct StageDescription: Codable, Equatable, Sendable {
    public var name: String
    public var version: String
    public var summary: String
    public var params: [ParamSpec]
    public var inputs: [ArtifactSpec]
    public var outputs: [ArtifactSpec]
    /// Parameters that say how to run, not what to compute beyond floating-point summation order
    /// (e.g. the number of MPI ranks). They are part of the signature where they differ from their
    /// defaults (so adding one keeps the signatures of earlier runs), and the resume state
    /// (`StageContext.resumeName`) is shared across their values, so an interrupted run can go on
    /// with other values.
    public var launcherParams: [String] = []

    enum CodingKeys: String, CodingKey { case name, version, summary, params, inputs, outputs, launcherParams }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), version: try c.decode(String.self, forKey: .version),
                  summary: try c.decode(String.self, forKey: .summary), params: try c.decode([ParamSpec].self, forKey: .params),
                  inputs: try c.decode([ArtifactSpec].self, forKey: .inputs), outputs: try c.decode([ArtifactSpec].self, forKey: .outputs),
                  launcherParams: try c.decodeIfPresent([String].self, forKey: .launcherParams) ?? [])
    }

    /// `params` without the launcher parameters that have their default values (what the
    /// signature hashes), or without any launcher parameter (`all`; what the resume name hashes).
    public func signatureParams(_ params: [String: ParamValue], droppingAllLauncherParams all: Bool = false) -> [String: ParamValue] {
        params.filter { name, value in
            !(launcherParams.contains(name) && (all || param(name)?.defaultValue == value))
        }
    }

    public init(name: String, version: String, summary: String, params: [ParamSpec],
                inputs: [ArtifactSpec], outputs: [ArtifactSpec], launcherParams: [String] = []) {
        self.name = name; self.version = version; self.summary = summary
        self.params = params; self.inputs = inputs; self.outputs = outputs
        self.launcherParams = launcherParams
    }

    public var identity: String { "\(name)@\(version)" }
    public func param(_ name: String) -> ParamSpec? { params.first { $0.name == name } }
    public func input(_ name: String) -> ArtifactSpec? { inputs.first { $0.name == name } }
    public func output(_ name: String) -> ArtifactSpec? { outputs.first { $0.name == name } }

    /// Problems that make the description unusable (empty or duplicate names, defaults of the
    /// wrong type, defaults outside `choices`). An empty list means well-formed.
    public func problems() -> [String] {
        var found: [String] = []
        if name.isEmpty { found.append("empty stage name") }
        if version.isEmpty { found.append("\(name): empty implementation version") }
        func checkNames(_ names: [String], _ what: String) {
            var seen = Set<String>()
            for n in names {
                if n.isEmpty || n.contains(".") || n.contains(" ") { found.append("\(name): bad \(what) name '\(n)'") }
                if !seen.insert(n).inserted { found.append("\(name): duplicate \(what) '\(n)'") }
            }
        }
        checkNames(params.map(\.name), "parameter")
        checkNames(inputs.map(\.name), "input")
        checkNames(outputs.map(\.name), "output")
        for p in params {
            if let d = p.defaultValue, p.type.coerce(d) == nil {
                found.append("\(name): default of '\(p.name)' is not a \(p.type.rawValue)")
            }
            if let choices = p.choices {
                if p.type != .string { found.append("\(name): choices on non-string parameter '\(p.name)'") }
                if case .string(let s)? = p.defaultValue, !choices.contains(s) {
                    found.append("\(name): default of '\(p.name)' is not one of its choices")
                }
            }
        }
        for a in inputs + outputs where ArtifactKind(rawValue: a.kind) == nil {
            found.append("\(name): artifact '\(a.name)' has kind '\(a.kind)', not one of the store's: \(ArtifactKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if outputs.contains(where: \.optional) { found.append("\(name): outputs cannot be optional") }
        for p in launcherParams where param(p) == nil { found.append("\(name): launcher parameter '\(p)' is not declared") }
        return found
    }

    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}
