import Foundation

/// Reverse-mode automatic differentiation: ops record a `GraphNode` on their output through
/// `recordOp`; `backward()` walks the graph once in reverse topological order.

/// The op that produced a tensor: its inputs and the rule mapping the output's gradient to one
/// gradient per input (nil = none).
final class GraphNode {
    let name: String
    private(set) var inputs: [Tensor]
    private(set) var rule: ((Tensor) -> [Tensor?])?

    init(name: String, inputs: [Tensor], rule: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.rule = rule
    }

    /// Drops the inputs and the rule (which captures saved tensors) once backward has used them.
    func release() {
        inputs = []
        rule = nil
    }

    /// Tears long chains down iteratively: releasing a 10⁵-op graph recursively (tensor → node →
    /// input tensor → ...) would overflow the stack.
    deinit {
        rule = nil
        var pending = inputs
        inputs = []
        while var tensor = pending.popLast() {
            if isKnownUniquelyReferenced(&tensor), let node = tensor.node {
                node.rule = nil
                pending.append(contentsOf: node.inputs)
                node.inputs = []
            }
        }
    }
}

/// Whether ops record a graph: a process-wide count of active `withoutGrad` scopes. Ops are issued
/// from one thread at a time (kernels parallelise inside an op); counting instead of saving and
/// restoring a flag keeps the mode right even if worker threads nest `withoutGrad` concurrently.
enum GradMode {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var disabledScopes = 0

    static var isEnabled: Bool { lock.withLock { disabledScopes == 0 } }

    static func adjustDisabledScopes(by delta: Int) {
        lock.withLock { disabledScopes += delta }
    }
}

/// Runs `body` with graph recording off (evaluation, optimiser updates, backward rules).
public func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
    GradMode.adjustDisabledScopes(by: 1)
    defer { GradMode.adjustDisabledScopes(by: -1) }
    return try body()
}

/// Whether ops currently record a graph.
public var isGradEnabled: Bool { GradMode.isEnabled }

extension Tensor {
    /// True when a gradient can flow into this tensor: a parameter, or the output of a recorded op.
    var isTracked: Bool { requiresGrad || node != nil }
}

/// The single extension point every differentiable op uses: `output` holds the already computed
/// forward values; `backward` gets the output's gradient and returns one gradient per input
/// (nil = no gradient for that input), each with that input's shape. The node is recorded only when
/// grad mode is on and some input requires grad (or has a graph). Returns `output`.
///
/// A rule that needs the output's values must capture it `[unowned output]`: the output owns the
/// rule, so a strong capture is a reference cycle that leaks the graph if backward never runs.
@discardableResult
public func recordOp(_ name: String, inputs: [Tensor], output: Tensor,
                     backward: @escaping (_ outputGrad: Tensor) -> [Tensor?]) -> Tensor {
    guard GradMode.isEnabled, inputs.contains(where: { $0.isTracked }) else { return output }
    precondition(output.node == nil, "recordOp(\(name)): output already belongs to a graph")
    precondition(!inputs.contains { $0 === output }, "recordOp(\(name)): output is also an input")
    output.node = GraphNode(name: name, inputs: inputs, rule: backward)
    return output
}

extension Tensor {
    /// Back-propagates from this scalar (seed 1) and accumulates (+=) into `grad` of every tensor
    /// with `requiresGrad`. The graph is freed as it is walked, as in PyTorch without retain_graph.
    public func backward() {
        precondition(count == 1, "backward(): needs a one-element tensor, got shape \(shape); use backward(seed:)")
        backward(seed: Tensor(shape: shape, repeating: 1))
    }

    /// Back-propagates `seed` (the gradient of some scalar with respect to this tensor).
    public func backward(seed: Tensor) {
        precondition(seed.shape == shape, "backward(seed:): seed shape \(seed.shape) != tensor shape \(shape)")
        guard isTracked else { return }
        withoutGrad {
            var pending = GradientAccumulator()
            pending.add(seed, for: self)
            for tensor in topologicalOrder().reversed() {
                guard let gradient = pending.take(for: tensor) else { continue }
                if tensor.requiresGrad { tensor.accumulateGrad(gradient.tensor, owned: gradient.owned) }
                guard let node = tensor.node else { continue }
                guard let rule = node.rule else {
                    preconditionFailure("backward(): '\(node.name)' was already freed by an earlier backward()")
                }
                let inputGrads = rule(gradient.tensor)
                precondition(inputGrads.count == node.inputs.count,
                             "backward rule of '\(node.name)' returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
                for (input, inputGrad) in zip(node.inputs, inputGrads) {
                    guard let inputGrad, input.isTracked else { continue }
                    precondition(inputGrad.shape == input.shape,
                                 "backward rule of '\(node.name)': gradient shape \(inputGrad.shape) for input of shape \(input.shape)")
                    pending.add(inputGrad, for: input)
                }
                node.release()
            }
        }
    }

    /// Every tracked tensor reachable from this one, inputs before the tensors computed from them.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative post-order DFS: deep graphs (long ODE unrolls) must not overflow the stack.
        var stack: [(tensor: Tensor, expanded: Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.node?.inputs ?? [] where input.isTracked && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }

    private func accumulateGrad(_ gradient: Tensor, owned: Bool) {
        if let existing = grad {
            precondition(existing.shape == shape, "grad shape \(existing.shape) != tensor shape \(shape)")
            addInPlace(existing, gradient)
        } else {
            // A gradient shared with other tensors (e.g. passed through an add) must be copied:
            // optimisers and clipping modify `grad` in place.
            grad = owned ? gradient : gradient.detached()
        }
    }
}

/// Gradients flowing to tensors not yet processed. A gradient received once is kept as is (it may be
/// shared with another tensor); the second one allocates a sum this accumulator owns and adds into.
private struct GradientAccumulator {
    private var entries: [ObjectIdentifier: (tensor: Tensor, owned: Bool)] = [:]

    mutating func add(_ gradient: Tensor, for tensor: Tensor) {
        let key = ObjectIdentifier(tensor)
        guard let existing = entries[key] else {
            entries[key] = (gradient, false)
            return
        }
        if existing.owned {
            addInPlace(existing.tensor, gradient)
        } else {
            entries[key] = (zipMap(existing.tensor, gradient, Add()), true)
        }
    }

    mutating func take(for tensor: Tensor) -> (tensor: Tensor, owned: Bool)? {
        entries.removeValue(forKey: ObjectIdentifier(tensor))
    }
}

/// target += source, same shapes.
func addInPlace(_ target: Tensor, _ source: Tensor) {
    precondition(target.count == source.count, "addInPlace: \(target.shape) vs \(source.shape)")
    let t = target.data, s = source.data
    Parallel.ranges(target.count, grain: 1 << 15) { range in
        for i in range { t[i] += s[i] }
    }
}
