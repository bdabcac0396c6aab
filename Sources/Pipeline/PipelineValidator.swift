import StageKit

/// A stage checked against its executable's description: every parameter resolved and typed,
/// every input wired to an upstream output of the right kind.
public struct ResolvedStage: Sendable {
    public var name: String
    public var description: StageDescription
    public var params: [String: ParamValue]
    public var inputs: [String: OutputRef]
    public var location: SourceLocation
    /// Set when the stage is a member of a matrix stage (or descends from one).
    public var member: MatrixMember?

    public init(name: String, description: StageDescription, params: [String: ParamValue],
                inputs: [String: OutputRef], location: SourceLocation, member: MatrixMember? = nil) {
        self.name = name; self.description = description; self.params = params
        self.inputs = inputs; self.location = location; self.member = member
    }

    public var upstreamStages: [String] { Array(Set(inputs.values.map(\.stage))).sorted() }
}

/// A pipeline ready to plan: stages in dependency order.
public struct ValidatedPipeline: Sendable {
    public var name: String
    public var path: String
    public var stages: [ResolvedStage]
    public var graph: PipelineGraph

    public func stage(_ name: String) -> ResolvedStage? { stages.first { $0.name == name } }

    /// Whether any stage is a matrix member.
    public var hasMatrix: Bool { stages.contains { $0.member != nil } }

    /// The stages a command-line stage name means: the stage itself; for a matrix stage's written
    /// name, all its members; for a selector (`train@lr=0.001`), the members it picks.
    public func stageNames(matching pattern: String) -> [String] {
        if stages.contains(where: { $0.name == pattern }) { return [pattern] }
        return stages.filter { $0.member.map { MatrixExpansion.matches(pattern, $0) } ?? false }.map(\.name)
    }
}

/// `--set STAGE.KEY=VALUE`: the value is typed by the parameter's declared type.
public struct ParamOverride: Equatable, Sendable {
    public var stage: String
    public var key: String
    public var text: String

    public init(stage: String, key: String, text: String) { self.stage = stage; self.key = key; self.text = text }

    public static func parse(_ argument: String) throws -> ParamOverride {
        if let at = argument.firstIndex(of: "@"), let eq = argument.firstIndex(of: "="), at < eq {
            // `train@lr=0.001,batch=256.iterations=5`: the key is the first `.IDENTIFIER=` after the '@'.
            let chars = Array(argument), start = argument.distance(from: argument.startIndex, to: at)
            for i in start..<chars.count where chars[i] == "." {
                var j = i + 1
                while j < chars.count, chars[j] == "_" || chars[j].isLetter || (j > i + 1 && chars[j].isNumber) { j += 1 }
                if j > i + 1, j < chars.count, chars[j] == "=" {
                    return ParamOverride(stage: String(chars[..<i]), key: String(chars[(i + 1)..<j]), text: String(chars[(j + 1)...]))
                }
            }
            throw PipelineError.usage("--set expects STAGE.KEY=VALUE, got '\(argument)'")
        }
        guard let eq = argument.firstIndex(of: "="),
              let ref = PipelineFile.outputRef(String(argument[..<eq])) else {
            throw PipelineError.usage("--set expects STAGE.KEY=VALUE, got '\(argument)'")
        }
        return ParamOverride(stage: ref.stage, key: ref.output, text: String(argument[argument.index(after: eq)...]))
    }

    /// Strings are taken verbatim; everything else is read as a TOML value.
    func value(as type: ParamType) -> ParamValue? {
        if type == .string { return .string(text) }
        guard let table = try? TOMLParser.parse("v = \(text)"), let node = table["v"] else { return nil }
        return PipelineFile.paramValue(node)
    }
}

/// Checks a pipeline file against the descriptions of its executables (`describe` returns nil
/// for an executable that cannot be found). Reports every problem at once, each with file:line.
public enum PipelineValidator {
    public static func validate(_ file: PipelineFile, overrides: [ParamOverride] = [],
                                describe: (String) throws -> StageDescription?) throws -> ValidatedPipeline {
        var issues: [PipelineIssue] = []
        var entries = MatrixExpansion.expand(file.stages, &issues)
        let names = entries.map(\.name)

        var targets: [Int: [ParamOverride]] = [:]
        for o in overrides {
            let matched = entries.indices.filter { entries[$0].name == o.stage }
                .nilIfEmpty ?? entries.indices.filter { entries[$0].member.map { MatrixExpansion.matches(o.stage, $0) } ?? false }
            guard !matched.isEmpty else {
                throw PipelineError.usage("--set \(o.stage).\(o.key): no stage '\(o.stage)' in \(file.path) (stages: \(names.joined(separator: ", ")))")
            }
            for index in matched {
                let entry = entries[index]
                if let axis = file.stages.first(where: { $0.name == entry.writtenName })?.matrix.first(where: { $0.keys.contains(o.key) }) {
                    throw PipelineError.usage("--set \(o.stage).\(o.key): '\(o.key)' is swept by the matrix of '\(entry.writtenName)' (\(axis.location)); edit the matrix instead")
                }
                entries[index].params[o.key] = Located(value: .string(o.text), location: SourceLocation(file: "--set \(o.stage).\(o.key)", line: nil))
                targets[index, default: []].append(o)
            }
        }

        var described: [String: StageDescription] = [:]
        for entry in entries {
            if let d = try describe(entry.executable.value) { described[entry.name] = d }
            else { issues.append(PipelineIssue(entry.executable.location, "stage '\(entry.writtenName)': unknown executable '\(entry.executable.value)'")) }
        }

        var stages: [ResolvedStage] = []
        for (index, var entry) in entries.enumerated() {
            guard let description = described[entry.name] else { continue }
            for o in targets[index] ?? [] {
                guard let spec = description.param(o.key) else {
                    throw PipelineError.usage("--set \(o.stage).\(o.key): \(description.name) has no parameter '\(o.key)' (declared: \(description.params.map(\.name).joined(separator: ", ")))")
                }
                guard let v = o.value(as: spec.type) else {
                    throw PipelineError.usage("--set \(o.stage).\(o.key)=\(o.text): not a \(spec.type.rawValue)")
                }
                entry.params[o.key]!.value = v
            }
            let before = issues.count
            let params = try resolveParams(entry, description, &issues)
            checkInputs(entry, description, entries, described, &issues)
            if issues.count == before, let params {
                stages.append(ResolvedStage(name: entry.name, description: description, params: params,
                                            inputs: entry.inputs.mapValues(\.value), location: entry.location, member: entry.member))
            }
        }

        let graph = PipelineGraph(names: names, upstream: Dictionary(uniqueKeysWithValues: entries.map {
            ($0.name, Array(Set($0.inputs.values.map(\.value.stage)).filter(names.contains)).sorted())
        }))
        switch graph.topologicalOrder() {
        case .failure(let error):
            guard case .cycle(let cycle) = error else { throw error }
            let first = entries.first { $0.name == cycle[0] }!
            issues.append(PipelineIssue(first.location, error.description))
        case .success(let order):
            if issues.isEmpty {
                stages.sort { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }
                return ValidatedPipeline(name: file.name, path: file.path, stages: stages, graph: graph)
            }
        }
        // A matrix stage's members share their problems: each is reported once.
        var unique: [PipelineIssue] = []
        for issue in issues where !unique.contains(issue) { unique.append(issue) }
        throw PipelineError.invalid(unique.sorted { ($0.location.line ?? 0) < ($1.location.line ?? 0) })
    }

    private static func resolveParams(_ entry: StageEntry, _ description: StageDescription,
                                      _ issues: inout [PipelineIssue]) throws(StageError) -> [String: ParamValue]? {
        do {
            return try description.resolveParams(entry.params.mapValues(\.value))
        } catch .badParams(let list) {
            for problem in list.problems {
                let location = entry.params[problem.name]?.location ?? entry.location
                issues.append(PipelineIssue(location, "stage '\(entry.writtenName)' (\(description.name)): \(problem)"))
            }
            return nil
        }
    }

    private static func checkInputs(_ entry: StageEntry, _ description: StageDescription, _ entries: [StageEntry],
                                    _ described: [String: StageDescription], _ issues: inout [PipelineIssue]) {
        for key in entry.inputs.keys.sorted() {
            let ref = entry.inputs[key]!
            let at = ref.location
            guard let spec = description.input(key) else {
                issues.append(PipelineIssue(at, "stage '\(entry.writtenName)': \(description.name) has no input '\(key)' (declared: \(description.inputs.map(\.name).joined(separator: ", ")))"))
                continue
            }
            guard entries.contains(where: { $0.name == ref.value.stage }) else {
                issues.append(PipelineIssue(at, "stage '\(entry.writtenName)': input '\(key)' refers to unknown stage '\(MatrixName.base(ref.value.stage))'"))
                continue
            }
            guard let upstream = described[ref.value.stage] else { continue }  // its executable is already reported
            guard let output = upstream.output(ref.value.output) else {
                issues.append(PipelineIssue(at, "stage '\(entry.writtenName)': stage '\(MatrixName.base(ref.value.stage))' (\(upstream.name)) has no output '\(ref.value.output)' (outputs: \(upstream.outputs.map(\.name).joined(separator: ", ")))"))
                continue
            }
            if output.kind != spec.kind {
                issues.append(PipelineIssue(at, "stage '\(entry.writtenName)': input '\(key)' needs a \(spec.kind), but \(MatrixName.base(ref.value.stage)).\(ref.value.output) is a \(output.kind)"))
            }
        }
        for spec in description.inputs where !spec.optional && entry.inputs[spec.name] == nil {
            issues.append(PipelineIssue(entry.location, "stage '\(entry.writtenName)': missing input '\(spec.name)' (a \(spec.kind)) of \(description.name)"))
        }
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
