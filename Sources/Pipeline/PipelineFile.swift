import Foundation
import StageKit

/// A value as written in the pipeline file, with where it was written.
public struct Located<Value> {
    public var value: Value
    public var location: SourceLocation
}

/// `inputs = { dataset = "ingest.dataset" }`: output `dataset` of upstream stage `ingest`.
public struct OutputRef: Hashable, Sendable, CustomStringConvertible {
    public var stage: String
    public var output: String
    public var description: String { "\(stage).\(output)" }

    public init(stage: String, output: String) { self.stage = stage; self.output = output }
}

/// One `[stages.NAME]` entry as written, before it is checked against the stage's description.
public struct StageEntry {
    public var name: String
    public var executable: Located<String>
    public var params: [String: Located<ParamValue>]
    public var inputs: [String: Located<OutputRef>]
    public var location: SourceLocation
    /// `[stages.NAME.matrix]`: the swept parameters in file order (empty for a plain stage).
    public var matrix: [MatrixAxis] = []
    /// Set on the stages `MatrixExpansion` makes: which member of which written stage this is.
    public var member: MatrixMember?

    /// The stage as written in the file: its own name, or the matrix stage it is a member of.
    public var writtenName: String { member?.base ?? name }
}

/// A pipeline file as written: the stages in file order. Only the file's own structure is
/// checked here (known keys, value shapes); `PipelineValidator` checks it against the stages.
public struct PipelineFile {
    public var name: String
    public var path: String
    public var summary: String?
    public var stages: [StageEntry]

    public static let stageKeys = ["run", "params", "inputs", "matrix"]

    public static func load(path: String) throws -> PipelineFile { try load(path: path, includedFrom: []) }

    /// `includedFrom`: the files whose `include` led here (outermost first), to refuse cycles.
    static func load(path: String, includedFrom chain: [String]) throws -> PipelineFile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw PipelineError.unreadable(path: path, underlying: error)
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(text, name: name, path: path, includedFrom: chain)
    }

    public static func parse(_ text: String, name: String, path: String) throws -> PipelineFile {
        try parse(text, name: name, path: path, includedFrom: [])
    }

    static func parse(_ text: String, name: String, path: String, includedFrom chain: [String]) throws -> PipelineFile {
        func at(_ line: Int?) -> SourceLocation { SourceLocation(file: path, line: line) }
        let root: TOMLTable
        do { root = try TOMLParser.parse(text) } catch PipelineError.toml(let line, let message) {
            throw PipelineError.invalid([PipelineIssue(at(line), message)])
        }
        var issues: [PipelineIssue] = []
        var summary: String?
        var stages: [StageEntry] = []
        var included: [StageEntry] = []
        for key in root.keys {
            let node = root[key]!
            switch (key, node.value) {
            case ("description", .string(let s)): summary = s
            case ("stages", .table(let table)):
                for stageName in table.keys {
                    let stageNode = table[stageName]!
                    guard case .table(let body) = stageNode.value else {
                        issues.append(PipelineIssue(at(stageNode.line), "stage '\(stageName)' must be a table ([stages.\(stageName)])"))
                        continue
                    }
                    if let entry = stageEntry(stageName, body, at, &issues) { stages.append(entry) }
                }
            case ("include", .string(let file)):
                included = includedStages(file, into: path, chain: chain, at: at(node.line), &issues)
            case ("description", _), ("stages", _), ("include", _):
                issues.append(PipelineIssue(at(node.line), "'\(key)' must be a \(key == "stages" ? "table" : "string")"))
            default:
                issues.append(PipelineIssue(at(node.line), "unknown key '\(key)' (expected: description, include, stages)"))
            }
        }
        for entry in stages {
            if let earlier = included.first(where: { $0.name == entry.name }) {
                issues.append(PipelineIssue(entry.location, "stage '\(entry.name)' is already defined at \(earlier.location) (included)"))
            }
        }
        stages = included + stages
        if stages.isEmpty && issues.isEmpty { issues.append(PipelineIssue(at(nil), "no stages ([stages.NAME] tables)")) }
        if !issues.isEmpty { throw PipelineError.invalid(issues) }
        return PipelineFile(name: name, path: path, summary: summary, stages: stages)
    }

    /// `include = "full.toml"`: the stages of another pipeline file (a path relative to this
    /// file's folder) come first, exactly as written there; this file may add stages of its own
    /// but not redefine included ones. Problems in the included file are reported at its lines.
    private static func includedStages(_ file: String, into path: String, chain: [String], at location: SourceLocation,
                                       _ issues: inout [PipelineIssue]) -> [StageEntry] {
        let including = URL(fileURLWithPath: path).standardizedFileURL.path
        let target = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: including).deletingLastPathComponent())
            .standardizedFileURL.path
        if (chain + [including]).contains(target) {
            issues.append(PipelineIssue(location, "include cycle: \((chain + [including, target]).joined(separator: " → "))"))
            return []
        }
        do {
            return try load(path: target, includedFrom: chain + [including]).stages
        } catch PipelineError.invalid(let inner) {
            issues.append(contentsOf: inner)
        } catch {
            issues.append(PipelineIssue(location, "include \"\(file)\": \(error)"))
        }
        return []
    }

    private static func stageEntry(_ name: String, _ body: TOMLTable, _ at: (Int?) -> SourceLocation,
                                   _ issues: inout [PipelineIssue]) -> StageEntry? {
        let before = issues.count
        if name.contains(".") || name.isEmpty { issues.append(PipelineIssue(at(body.line), "bad stage name '\(name)'")) }
        if name.contains("@") {
            issues.append(PipelineIssue(at(body.line), "bad stage name '\(name)' ('@' is reserved for the members of a matrix stage)"))
        }
        var executable: Located<String>?
        var params: [String: Located<ParamValue>] = [:]
        var inputs: [String: Located<OutputRef>] = [:]
        var matrix: [MatrixAxis] = []
        for key in body.keys {
            let node = body[key]!
            switch key {
            case "run":
                if case .string(let s) = node.value, !s.isEmpty { executable = Located(value: s, location: at(node.line)) }
                else { issues.append(PipelineIssue(at(node.line), "stage '\(name)': 'run' must be the name of a stage executable")) }
            case "params":
                guard case .table(let t) = node.value else {
                    issues.append(PipelineIssue(at(node.line), "stage '\(name)': 'params' must be a table")); continue
                }
                for p in t.keys {
                    let pNode = t[p]!
                    if let v = paramValue(pNode) { params[p] = Located(value: v, location: at(pNode.line)) }
                    else { issues.append(PipelineIssue(at(pNode.line), "stage '\(name)': parameter '\(p)' has an unsupported value (\(pNode.value.typeName))")) }
                }
            case "inputs":
                guard case .table(let t) = node.value else {
                    issues.append(PipelineIssue(at(node.line), "stage '\(name)': 'inputs' must be a table")); continue
                }
                for i in t.keys {
                    let iNode = t[i]!
                    guard case .string(let s) = iNode.value, let ref = outputRef(s) else {
                        issues.append(PipelineIssue(at(iNode.line), "stage '\(name)': input '\(i)' must be \"STAGE.OUTPUT\""))
                        continue
                    }
                    inputs[i] = Located(value: ref, location: at(iNode.line))
                }
            case "matrix":
                matrix = matrixAxes(name, node, at, &issues)
            default:
                issues.append(PipelineIssue(at(node.line), "stage '\(name)': unknown key '\(key)' (expected: \(stageKeys.joined(separator: ", ")))"))
            }
        }
        if executable == nil && issues.count == before {
            issues.append(PipelineIssue(at(body.line), "stage '\(name)' has no 'run = \"EXECUTABLE\"'"))
        }
        for axis in matrix where !axis.isVariants {
            if let set = params[axis.key] {
                issues.append(PipelineIssue(axis.location, "stage '\(name)': parameter '\(axis.key)' is set both in params (line \(set.location.line ?? 0)) and in the matrix"))
            }
        }
        issues[before...].sort { ($0.location.line ?? 0) < ($1.location.line ?? 0) }
        guard let executable, issues.count == before else { return nil }
        return StageEntry(name: name, executable: executable, params: params, inputs: inputs, location: at(body.line), matrix: matrix)
    }

    /// `[stages.NAME.matrix]` (or `matrix = { … }`): each key a parameter, each value a non-empty
    /// list of distinct values for it; or `variants`, a list of distinct parameter tables.
    private static func matrixAxes(_ name: String, _ node: TOMLNode, _ at: (Int?) -> SourceLocation,
                                   _ issues: inout [PipelineIssue]) -> [MatrixAxis] {
        guard case .table(let table) = node.value else {
            issues.append(PipelineIssue(at(node.line), "stage '\(name)': 'matrix' must be a table of parameter = [values]"))
            return []
        }
        if table.keys.isEmpty {
            issues.append(PipelineIssue(at(node.line), "stage '\(name)': 'matrix' lists no parameters"))
        }
        var axes: [MatrixAxis] = []
        for key in table.keys {
            let axisNode = table[key]!
            let location = at(axisNode.line)
            let isVariants = key == MatrixAxis.variantsKey
            let what = isVariants ? "matrix '\(key)'" : "matrix parameter '\(key)'"
            guard case .array(let items) = axisNode.value else {
                issues.append(PipelineIssue(location, "stage '\(name)': \(what) must be a list of \(isVariants ? "parameter tables" : "values"), got a \(axisNode.value.typeName)"))
                continue
            }
            if items.isEmpty {
                issues.append(PipelineIssue(location, "stage '\(name)': \(what) has an empty list (give at least one \(isVariants ? "table" : "value"))"))
                continue
            }
            var choices: [[MatrixAssignment]] = []
            for item in items {
                guard let choice = isVariants ? variant(name, item, at, &issues) : axisValue(name, key, item, at, &issues) else { continue }
                if choices.contains(where: { Set($0.map(\.text)) == Set(choice.map(\.text)) }) {
                    let twice = isVariants
                        ? "{ \(choice.map { "\($0.key) = \($0.value.memberText)" }.joined(separator: ", ")) } twice"
                        : "\(choice[0].value.memberText) twice (two members would be named \(name)@\(choice[0].text))"
                    issues.append(PipelineIssue(at(item.line), "stage '\(name)': \(what) lists \(twice)"))
                    continue
                }
                choices.append(choice)
            }
            axes.append(MatrixAxis(key: key, choices: choices, location: location))
        }
        var sweptBy: [String: String] = [:]
        for axis in axes {
            for key in axis.keys {
                if let other = sweptBy[key] {
                    issues.append(PipelineIssue(axis.location, "stage '\(name)': parameter '\(key)' is swept both by matrix '\(other)' and by matrix '\(axis.key)'"))
                }
                sweptBy[key] = axis.key
            }
        }
        return axes
    }

    /// One value of a swept parameter: `0.001` in `lr = [0.001, 0.01]`.
    private static func axisValue(_ name: String, _ key: String, _ item: TOMLNode, _ at: (Int?) -> SourceLocation,
                                  _ issues: inout [PipelineIssue]) -> [MatrixAssignment]? {
        guard let v = paramValue(item) else {
            let hint = if case .table = item.value { " (parameter tables go in the matrix's '\(MatrixAxis.variantsKey)' list)" } else { "" }
            issues.append(PipelineIssue(at(item.line), "stage '\(name)': matrix parameter '\(key)' has an unsupported value (\(item.value.typeName))\(hint)"))
            return nil
        }
        return [MatrixAssignment(key: key, value: v)]
    }

    /// One variant: `{ warmup = 300, lr = 0.01 }`, the parameters it sets in the order written.
    private static func variant(_ name: String, _ item: TOMLNode, _ at: (Int?) -> SourceLocation,
                                _ issues: inout [PipelineIssue]) -> [MatrixAssignment]? {
        guard case .table(let table) = item.value else {
            issues.append(PipelineIssue(at(item.line), "stage '\(name)': matrix '\(MatrixAxis.variantsKey)' holds a \(item.value.typeName); each variant is a table of parameters, e.g. { warmup = 300 }"))
            return nil
        }
        guard !table.keys.isEmpty else {
            issues.append(PipelineIssue(at(item.line), "stage '\(name)': matrix '\(MatrixAxis.variantsKey)' has an empty variant {}; name what it keeps, e.g. { warmup = 100 }"))
            return nil
        }
        var assignments: [MatrixAssignment] = []
        for key in table.keys {
            let node = table[key]!
            guard let v = paramValue(node) else {
                issues.append(PipelineIssue(at(node.line), "stage '\(name)': matrix '\(MatrixAxis.variantsKey)': parameter '\(key)' has an unsupported value (\(node.value.typeName))"))
                return nil
            }
            assignments.append(MatrixAssignment(key: key, value: v))
        }
        return assignments
    }

    static func outputRef(_ text: String) -> OutputRef? {
        if text.contains("@") {
            // `train@lr=0.001,batch=256.checkpoint`: a matrix member's output (values may hold dots).
            guard let dot = text.lastIndex(of: "."), let at = text.firstIndex(of: "@"), at > text.startIndex, dot > at else { return nil }
            let output = String(text[text.index(after: dot)...])
            guard !output.isEmpty, !output.contains("="), !output.contains(","), !text[..<at].contains(".") else { return nil }
            return OutputRef(stage: String(text[..<dot]), output: output)
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return OutputRef(stage: String(parts[0]), output: String(parts[1]))
    }

    /// TOML values that can be parameters: scalars and flat arrays of scalars.
    static func paramValue(_ node: TOMLNode) -> ParamValue? {
        switch node.value {
        case .string(let s): return .string(s)
        case .integer(let i): return .int(i)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        case .array(let items):
            var out: [ParamValue] = []
            for item in items {
                guard let v = paramValue(item), !(v.isList) else { return nil }
                out.append(v)
            }
            return .list(out)
        case .table: return nil
        }
    }
}

extension ParamValue {
    var isList: Bool { if case .list = self { return true } else { return false } }
}
