/// The stage DAG derived from input references. Orders are deterministic: among stages that are
/// ready at the same time, file order wins.
///
///     ingest ──▶ train_rf ──▶ generate_rf ──▶ fid_rf
///        └─────▶ train_lzn ─▶ generate_lzn ─▶ fid_lzn
public struct PipelineGraph: Sendable {
    public let names: [String]
    /// stage → the stages it reads from.
    public let upstream: [String: [String]]

    public init(names: [String], upstream: [String: [String]]) {
        self.names = names
        self.upstream = upstream
    }

    public var downstream: [String: [String]] {
        var result: [String: [String]] = [:]
        for name in names { for up in upstream[name] ?? [] { result[up, default: []].append(name) } }
        return result
    }

    /// Stages in dependency order, or the stages of one cycle (in order, first repeated last).
    /// Upstream names that are not stages of the graph do not order anything (reporting them is the
    /// validator's job).
    public func topologicalOrder() -> Result<[String], PipelineError> {
        let stages = Set(names)
        var remaining = Dictionary(uniqueKeysWithValues: names.map { ($0, Set(upstream[$0] ?? []).intersection(stages)) })
        var order: [String] = []
        while order.count < names.count {
            guard let next = names.first(where: { remaining[$0]?.isEmpty == true }) else {
                return .failure(.cycle(stages: findCycle(among: Set(remaining.keys))))
            }
            order.append(next)
            remaining[next] = nil
            for key in remaining.keys { remaining[key]!.remove(next) }
        }
        return .success(order)
    }

    private func findCycle(among candidates: Set<String>) -> [String] {
        // Every remaining stage has an upstream among the remaining ones: walk until one repeats.
        var path: [String] = []
        var current = names.first { candidates.contains($0) }!
        while !path.contains(current) {
            path.append(current)
            current = (upstream[current] ?? []).first { candidates.contains($0) }!
        }
        let cycle = Array(path[path.firstIndex(of: current)!...]).reversed()
        return Array(cycle) + [cycle.first!]
    }

    public func ancestors(of stage: String) -> Set<String> { closure(from: stage, edges: upstream) }
    public func descendants(of stage: String) -> Set<String> { closure(from: stage, edges: downstream) }

    private func closure(from start: String, edges: [String: [String]]) -> Set<String> {
        var seen = Set<String>()
        var stack = edges[start] ?? []
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack.append(contentsOf: edges[next] ?? []) }
        }
        return seen
    }
}
