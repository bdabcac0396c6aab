import Foundation
import Store

/// A value a knob can hold: one of the stage parameter types.
public protocol KnobValue: Codable, Equatable, Sendable {
    static var paramType: ParamType { get }
    /// The closed set of allowed values of a string-like knob (an enum), nil for any value.
    static var choices: [String]? { get }
    var paramValue: ParamValue { get }
}

extension KnobValue {
    public static var choices: [String]? { nil }
}

extension Int: KnobValue {
    public static var paramType: ParamType { .int }
    public var paramValue: ParamValue { .int(self) }
}

extension UInt64: KnobValue {
    public static var paramType: ParamType { .int }
    public var paramValue: ParamValue { .int(Int(clamping: self)) }
}

extension Double: KnobValue {
    public static var paramType: ParamType { .float }
    public var paramValue: ParamValue { .float(self) }
}

extension Bool: KnobValue {
    public static var paramType: ParamType { .bool }
    public var paramValue: ParamValue { .bool(self) }
}

extension String: KnobValue {
    public static var paramType: ParamType { .string }
    public var paramValue: ParamValue { .string(self) }
}

/// An enum knob: its raw values are the parameter's choices.
public protocol KnobChoice: KnobValue, RawRepresentable<String>, CaseIterable {}

extension KnobChoice {
    public static var paramType: ParamType { .string }
    public static var choices: [String]? { allCases.map(\.rawValue) }
    public var paramValue: ParamValue { .string(rawValue) }
}

/// The values a numeric knob allows.
public struct KnobRange: Sendable {
    let lower: Double?
    let lowerInclusive: Bool
    let upper: Double?
    let upperInclusive: Bool

    public static func atLeast(_ value: Double) -> KnobRange { KnobRange(lower: value, lowerInclusive: true, upper: nil, upperInclusive: false) }
    public static let positive = KnobRange(lower: 0, lowerInclusive: false, upper: nil, upperInclusive: false)
    public static let nonNegative = atLeast(0)
    /// [0, 1]
    public static let unit = KnobRange(lower: 0, lowerInclusive: true, upper: 1, upperInclusive: true)
    /// (0, 1]
    public static let share = KnobRange(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: true)
    /// [0, 1)
    public static let fraction = KnobRange(lower: 0, lowerInclusive: true, upper: 1, upperInclusive: false)

    public func contains(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        if let lower, lowerInclusive ? x < lower : x <= lower { return false }
        if let upper, upperInclusive ? x > upper : x >= upper { return false }
        return true
    }

    public var text: String {
        func number(_ v: Double) -> String { v.rounded() == v ? String(Int(v)) : "\(v)" }
        switch (lower, upper) {
        case let (l?, u?): return "in \(lowerInclusive ? "[" : "(")\(number(l)), \(number(u))\(upperInclusive ? "]" : ")")"
        case let (l?, nil): return lowerInclusive ? "at least \(number(l))" : (l == 0 ? "positive" : "greater than \(number(l))")
        case let (nil, u?): return upperInclusive ? "at most \(number(u))" : "less than \(number(u))"
        case (nil, nil): return "finite"
        }
    }
}

/// One training knob, declared once where the configuration declares the field:
///
///     @Knob(.atLeast(2), doc: "global batch = the anchor set of the latent flows") public var batch = 128
///
/// The field's name in snake_case is the stage parameter and the checkpoint's config key, its type
/// and initial value are the parameter's type and default, `doc` its documentation and the range
/// its allowed values (checked before anything runs). See `KnobSet`.
@propertyWrapper
public struct Knob<Value: KnobValue>: Sendable {
    public var wrappedValue: Value
    let range: KnobRange?
    let choices: [String]?
    let required: Bool
    let doc: String

    /// `required`: the parameter has no default (the field's initial value only fills the prototype).
    /// `choices`: the allowed values of a string knob (an enum knob's are its cases).
    public init(wrappedValue: Value, _ range: KnobRange? = nil, choices: [String]? = nil, required: Bool = false, doc: String) {
        self.wrappedValue = wrappedValue
        self.range = range
        self.choices = choices ?? Value.choices
        self.required = required
        self.doc = doc
    }
}

extension Knob: Equatable {
    public static func == (a: Knob, b: Knob) -> Bool { a.wrappedValue == b.wrappedValue }
}

extension Knob: Codable {
    /// A decoded knob keeps only its value; its declaration is read from `KnobSet.prototype`.
    public init(from decoder: Decoder) throws {
        self.init(wrappedValue: try Value(from: decoder), doc: "")
    }

    public func encode(to encoder: Encoder) throws { try wrappedValue.encode(to: encoder) }
}

/// The type-erased view of a knob that `KnobSet` reads through reflection.
protocol AnyKnob {
    var paramValue: ParamValue { get }
    func spec(named name: String) -> ParamSpec
    func problem(named name: String, value: ParamValue) -> String?
}

extension Knob: AnyKnob {
    var paramValue: ParamValue { wrappedValue.paramValue }

    func spec(named name: String) -> ParamSpec {
        ParamSpec(name, Value.paramType, default: required ? nil : wrappedValue.paramValue, choices: choices,
                  doc: doc + (range.map { " (\($0.text))" } ?? ""))
    }

    func problem(named name: String, value: ParamValue) -> String? {
        switch value {
        case .int(let v): return problem(named: name, number: Double(v), value: value)
        case .float(let v): return problem(named: name, number: v, value: value)
        case .string(let v):
            guard let choices, !choices.contains(v) else { return nil }
            return "\(name) is \(value.display), expected one of: \(choices.joined(separator: ", "))"
        default: return nil
        }
    }

    private func problem(named name: String, number: Double, value: ParamValue) -> String? {
        guard let range, !range.contains(number) else { return nil }
        return "\(name) must be \(range.text), got \(value.display)"
    }
}

/// A configuration struct whose `@Knob` fields are stage parameters. Its default instance (the
/// prototype) declares them: `specs` are the parameters in declaration order, `init(values:)` builds
/// an instance from parameter values (missing ones keep the prototype's), `values` turns one back
/// into parameter-keyed JSON (what a checkpoint stores). Plain stored fields (facts that come from
/// elsewhere, e.g. the dataset's image size) travel with the values but are not parameters.
public protocol KnobSet: Codable {
    init()
}

extension KnobSet {
    public static var prototype: Self { Self() }

    /// The knob parameters, in declaration order.
    public static var specs: [ParamSpec] { knobs(of: prototype).map { $0.knob.spec(named: $0.name) } }

    /// Every field, knob or not, as (snake_case name, value).
    public var values: [(name: String, value: ParamValue)] {
        Self.fields(of: self).compactMap { field in
            let value = (field.value as? any KnobValue)?.paramValue ?? (field.value as? AnyKnob)?.paramValue
            return value.map { (field.name, $0) }
        }
    }

    /// The fields as a JSON object keyed by parameter name (sorted when encoded, so canonical).
    public var json: JSON {
        .object(Dictionary(uniqueKeysWithValues: values.map { ($0.name, JSON($0.value)) }))
    }

    /// Range and choice problems of given knob values, one per knob, in declaration order.
    public static func problems(in given: [String: ParamValue]) -> [(name: String, reason: String)] {
        knobs(of: prototype).compactMap { entry in
            given[entry.name].flatMap { entry.knob.problem(named: entry.name, value: $0) }.map { (entry.name, $0) }
        }
    }

    /// An instance from values keyed by field name in snake_case (camelCase is read too: checkpoints
    /// written before the knobs spelled their config that way); fields not given keep the
    /// prototype's values.
    public init(values given: [String: JSON]) throws {
        var merged = Dictionary(uniqueKeysWithValues: Self.prototype.values.map { ($0.name, JSON($0.value)) })
        for (key, value) in given { merged[Self.snakeCase(key)] = value }
        let fieldNames = Dictionary(Self.fields(of: Self.prototype).map { ($0.name, $0.property) }, uniquingKeysWith: { first, _ in first })
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last!.stringValue
            return FieldKey(stringValue: fieldNames[key] ?? key)
        }
        self = try decoder.decode(Self.self, from: Data(JSON.object(merged).text.utf8))
    }

    /// Parameter values (typed, as a stage resolves them) to an instance; throws `StageError.badParams`
    /// naming every knob outside its range or choices.
    public init(parameters: [String: ParamValue]) throws {
        let problems = Self.problems(in: parameters)
        guard problems.isEmpty else {
            throw StageError.badParams(ParamProblemList(stage: String(describing: Self.self),
                                                        problems: problems.map { .notAllowed(name: $0.name, reason: $0.reason) }))
        }
        try self.init(values: parameters.mapValues(JSON.init))
    }

    private static func knobs(of instance: Self) -> [(name: String, knob: AnyKnob)] {
        fields(of: instance).compactMap { field in (field.value as? AnyKnob).map { (field.name, $0) } }
    }

    /// The stored fields through reflection, in declaration order: the Swift property name (a
    /// wrapper's storage `_x` read as `x`), its snake_case parameter name, and the stored value.
    private static func fields(of instance: Self) -> [(property: String, name: String, value: Any)] {
        Mirror(reflecting: instance).children.compactMap { child in
            guard let label = child.label else { return nil }
            let property = label.hasPrefix("_") ? String(label.dropFirst()) : label
            return (property, snakeCase(property), child.value)
        }
    }

    /// `latentDim` → `latent_dim`, `encoderLR` → `encoder_lr`; snake_case stays as it is.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        let characters = Array(name)
        for (i, c) in characters.enumerated() {
            if c.isUppercase {
                let previousLower = i > 0 && characters[i - 1].isLowercase
                let nextLower = i + 1 < characters.count && characters[i + 1].isLowercase && i > 0 && characters[i - 1].isUppercase
                if previousLower || nextLower { out += "_" }
                out += c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }
}

private struct FieldKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension JSON {
    /// A parameter value as JSON (ints and floats both become numbers).
    public init(_ value: ParamValue) {
        switch value {
        case .int(let v): self = .number(Double(v))
        case .float(let v): self = .number(v)
        case .string(let s): self = .string(s)
        case .bool(let b): self = .bool(b)
        case .list(let items): self = .array(items.map(JSON.init))
        }
    }
}
