import StageKit

/// One parameter a matrix value sets: `lr = 0.001`.
public struct MatrixAssignment: Hashable, Sendable {
    public var key: String
    public var value: ParamValue

    public var text: String { "\(key)=\(value.memberText)" }
}

/// One axis of `[stages.NAME.matrix]`: a swept parameter (`lr = [0.001, 0.01]`: each choice sets
/// `lr`) or the variant list (`variants = [{ warmup = 300 }, { cutoff = 0.5, lr = 0.01 }]`: each
/// choice sets the parameters of one table, so members need not form a cartesian product).
public struct MatrixAxis: Equatable, Sendable {
    public static let variantsKey = "variants"

    /// The swept parameter, or `variants`.
    public var key: String
    /// What each of the axis's values sets, in the order written.
    public var choices: [[MatrixAssignment]]
    public var location: SourceLocation

    public var isVariants: Bool { key == Self.variantsKey }
    /// Every parameter some choice sets, in the order first written.
    public var keys: [String] {
        var keys: [String] = []
        for a in choices.joined() where !keys.contains(a.key) { keys.append(a.key) }
        return keys
    }
}

/// One axis value in one matrix member. `origin` is the written stage whose matrix declares it;
/// stages downstream of a member carry the bindings of every member they descend from.
public struct MatrixBinding: Hashable, Sendable {
    public var origin: String
    /// The parameters it sets: one for a swept parameter, those of its table for a variant.
    public var assignments: [MatrixAssignment]
    /// Fixed by an input that takes one member (`"train@lr=0.001.checkpoint"`): then the
    /// binding is the same for every member of the downstream stage and is not part of its name.
    public var pinned = false
    /// (origin's file position, axis position, value position): the matrix order of members, and
    /// the binding's identity (two bindings of one axis agree when their value positions do).
    var order: [Int]

    public var text: String { assignments.map(\.text).joined(separator: ",") }

    func sameAxis(_ other: MatrixBinding) -> Bool { origin == other.origin && order[1] == other.order[1] }
}

/// A stage made by expanding a matrix: `base@label`, e.g. `train_lzn@lr=0.001,batch=256`.
public struct MatrixMember: Equatable, Sendable {
    /// The stage as written in the pipeline file.
    public var base: String
    /// Every binding in matrix order (origins in file order, axes and values as declared).
    public var bindings: [MatrixBinding]

    /// `lr=0.001,batch=256`: the bindings that vary between the members of `base`.
    public var label: String { bindings.filter { !$0.pinned }.map(\.text).joined(separator: ",") }
    public var name: String { label.isEmpty ? base : "\(base)@\(label)" }

    /// Whether `train@lr=0.001` (a member selector, any subset of the bindings) picks this member.
    func matches(_ selector: [(key: String, value: ParamValue)]) -> Bool {
        selector.allSatisfy { pair in
            bindings.contains { $0.assignments.contains { $0.key == pair.key && $0.value.matchesSelector(pair.value) } }
        }
    }
}

extension ParamValue {
    /// The value as it appears in a member name: strings bare, numbers in canonical form.
    public var memberText: String {
        switch self {
        case .string(let s): return s
        case .list(let items): return "[" + items.map(\.memberText).joined(separator: ",") + "]"
        default: return canonicalJSON
        }
    }

    /// `lr=1e-3` in a selector picks the member `lr=0.001`, `lr=1` picks `lr=1.0`, `mode=a` picks "a".
    func matchesSelector(_ written: ParamValue) -> Bool {
        if self == written || memberText == written.memberText { return true }
        switch (self, written) {
        case (.int(let a), .float(let b)), (.float(let b), .int(let a)): return Double(a) == b
        default: return false
        }
    }
}

/// Member names and selectors: `STAGE@KEY=VALUE,KEY=VALUE`.
public enum MatrixName {
    /// `train_lzn@lr=0.001` → ("train_lzn", "lr=0.001"); a plain name has no selector.
    public static func split(_ name: String) -> (base: String, selector: String?) {
        guard let at = name.firstIndex(of: "@") else { return (name, nil) }
        return (String(name[..<at]), String(name[name.index(after: at)...]))
    }

    /// The written stage of a stage name (`train_lzn@lr=0.001` → `train_lzn`).
    public static func base(_ name: String) -> String { split(name).base }

    /// `lr=0.001,widths=[32,64],mode=a` → pairs, each value read as a TOML value (else a bare string).
    static func selectorPairs(_ text: String) -> [(key: String, value: ParamValue)]? {
        var parts: [String] = [], current = "", depth = 0, quote: Character?
        for c in text {
            if let q = quote { if c == q { quote = nil } }
            else if c == "\"" || c == "'" { quote = c }
            else if c == "[" { depth += 1 } else if c == "]" { depth -= 1 }
            else if c == "," && depth == 0 { parts.append(current); current = ""; continue }
            current.append(c)
        }
        parts.append(current)
        var pairs: [(key: String, value: ParamValue)] = []
        for part in parts {
            guard let eq = part.firstIndex(of: "="), eq > part.startIndex else { return nil }
            let key = String(part[..<eq]), text = String(part[part.index(after: eq)...])
            guard !text.isEmpty else { return nil }
            if let table = try? TOMLParser.parse("v = \(text)"), let node = table["v"], let v = PipelineFile.paramValue(node) {
                pairs.append((key, v))
            } else {
                pairs.append((key, .string(text)))
            }
        }
        return pairs
    }
}

/// Expands matrix stages into their members, and stages that read a matrix stage into one stage
/// per member they can read (a join: two inputs descending from the same matrix take the same
/// member, inputs from different matrices combine). An input naming a member selector
/// (`"train@lr=0.001.checkpoint"`) takes only the members it names. A pipeline without a matrix
/// is returned as it is.
public enum MatrixExpansion {
    public static func expand(_ entries: [StageEntry], _ issues: inout [PipelineIssue]) -> [StageEntry] {
        let usesMatrix = entries.contains { !$0.matrix.isEmpty || $0.inputs.values.contains { $0.value.stage.contains("@") } }
        guard usesMatrix else { return entries }
        var expander = Expander(entries: entries)
        for entry in entries { _ = expander.members(of: entry.name) }
        issues.append(contentsOf: expander.issues)

        var out: [StageEntry] = []
        var seen: [String: SourceLocation] = [:]
        for entry in entries {
            for bindings in expander.memo[entry.name] ?? [[]] {
                var member = entry
                let info = MatrixMember(base: entry.name, bindings: bindings)
                member.name = info.name
                member.member = bindings.isEmpty ? nil : info
                for binding in bindings where binding.origin == entry.name {
                    let location = entry.matrix[binding.order[1]].location
                    for a in binding.assignments { member.params[a.key] = Located(value: a.value, location: location) }
                }
                for (key, ref) in entry.inputs {
                    let upstream = MatrixName.base(ref.value.stage)
                    guard let upstreamMembers = expander.memo[upstream] else { continue }
                    // The one upstream member whose bindings this member carries.
                    if let match = upstreamMembers.first(where: { up in up.allSatisfy { b in bindings.contains { $0.origin == b.origin && $0.order == b.order } } }) {
                        member.inputs[key]!.value.stage = MatrixMember(base: upstream, bindings: match).name
                    }
                }
                if let earlier = seen[member.name] {
                    issues.append(PipelineIssue(entry.location, "stage '\(entry.name)': two matrix members would be named '\(member.name)' (also at \(earlier))"))
                    continue
                }
                seen[member.name] = entry.location
                out.append(member)
            }
        }
        return out
    }

    /// Whether a command-line name (`train`, `train@lr=0.001`) means this member.
    public static func matches(_ pattern: String, _ member: MatrixMember) -> Bool {
        let (base, selector) = MatrixName.split(pattern)
        guard base == member.base else { return false }
        guard let selector else { return true }
        guard let pairs = MatrixName.selectorPairs(selector) else { return false }
        return member.matches(pairs)
    }

    private struct Expander {
        let byName: [String: StageEntry]
        let position: [String: Int]
        var memo: [String: [[MatrixBinding]]] = [:]
        var visiting: Set<String> = []
        var issues: [PipelineIssue] = []

        init(entries: [StageEntry]) {
            byName = Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            position = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        }

        /// The binding sets of a written stage's members; `[[]]` for a stage that does not expand.
        mutating func members(of name: String) -> [[MatrixBinding]] {
            if let done = memo[name] { return done }
            guard let entry = byName[name], !visiting.contains(name) else { return [[]] }  // a cycle: reported by the validator
            visiting.insert(name)
            defer { visiting.remove(name) }
            var sets: [[MatrixBinding]] = [[]]
            for key in entry.inputs.keys.sorted() {
                let ref = entry.inputs[key]!
                let (base, selector) = MatrixName.split(ref.value.stage)
                guard byName[base] != nil else { continue }  // an unknown stage: reported by the validator
                var upstream = members(of: base)
                if let selector { upstream = select(upstream, selector, of: base, for: entry.name, input: key, at: ref.location) }
                sets = join(sets, upstream)
            }
            for (a, axis) in entry.matrix.enumerated() {
                sets = sets.flatMap { set in
                    axis.choices.enumerated().map { v, assignments in
                        set + [MatrixBinding(origin: name, assignments: assignments, order: [position[name]!, a, v])]
                    }
                }
            }
            let ordered = sets.map { $0.sorted { $0.order.lexicographicallyPrecedes($1.order) } }
                .sorted { $0.flatMap(\.order).lexicographicallyPrecedes($1.flatMap(\.order)) }
            memo[name] = ordered
            return ordered
        }

        /// The members a selector picks, their selected bindings pinned.
        mutating func select(_ members: [[MatrixBinding]], _ selector: String, of base: String, for stage: String,
                             input: String, at location: SourceLocation) -> [[MatrixBinding]] {
            guard let pairs = MatrixName.selectorPairs(selector) else {
                issues.append(PipelineIssue(location, "stage '\(stage)': input '\(input)': '\(base)@\(selector)' is not a member selector (\(base)@KEY=VALUE,…)"))
                return []
            }
            let keys = Set(members.joined().flatMap { $0.assignments.map(\.key) })
            guard !keys.isEmpty else {
                issues.append(PipelineIssue(location, "stage '\(stage)': input '\(input)' selects a member of '\(base)', which has no matrix"))
                return []
            }
            for pair in pairs where !keys.contains(pair.key) {
                issues.append(PipelineIssue(location, "stage '\(stage)': input '\(input)': '\(base)' has no matrix parameter '\(pair.key)' (matrix: \(orderedKeys(members).joined(separator: ", ")))"))
                return []
            }
            let picked = members.filter { MatrixMember(base: base, bindings: $0).matches(pairs) }
            if picked.isEmpty {
                let names = members.map { MatrixMember(base: base, bindings: $0).name }
                issues.append(PipelineIssue(location, "stage '\(stage)': input '\(input)': no member of '\(base)' has \(selector) (members: \(names.joined(separator: ", ")))"))
            }
            let selected = Set(pairs.map(\.key))
            return picked.map { $0.map { b in
                var b = b
                if b.assignments.contains(where: { selected.contains($0.key) }) { b.pinned = true }
                return b
            } }
        }

        private func orderedKeys(_ members: [[MatrixBinding]]) -> [String] {
            var keys: [String] = []
            for a in members.joined().flatMap(\.assignments) where !keys.contains(a.key) { keys.append(a.key) }
            return keys
        }

        /// Every compatible pair (the same value wherever both carry a binding of one matrix axis).
        func join(_ left: [[MatrixBinding]], _ right: [[MatrixBinding]]) -> [[MatrixBinding]] {
            var out: [[MatrixBinding]] = []
            for l in left {
                for r in right {
                    var merged = l
                    var compatible = true
                    for b in r {
                        if let i = merged.firstIndex(where: { $0.sameAxis(b) }) {
                            if merged[i].order != b.order { compatible = false; break }
                            merged[i].pinned = merged[i].pinned || b.pinned
                        } else {
                            merged.append(b)
                        }
                    }
                    if compatible && !out.contains(merged) { out.append(merged) }
                }
            }
            return out
        }
    }
}
