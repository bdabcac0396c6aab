import Engine
import Foundation

/// Adam with PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8, no weight decay, no AMSGrad) and the same
/// update arithmetic as `torch.optim.Adam`, over named parameter groups with their own learning rates.
/// Frozen groups and parameters without a gradient are skipped (their step counts do not advance).
public final class Adam {
    public private(set) var groups: [ParameterGroup]
    // Kept in double like PyTorch's Python floats; each is rounded to float where torch rounds it.
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    private var states: [[MomentState]]

    public init(groups: [ParameterGroup], beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8) {
        precondition(Set(groups.map(\.name)).count == groups.count, "Adam: duplicate group names")
        self.groups = groups
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        states = groups.map { group in group.parameters.map { MomentState(shape: $0.shape) } }
    }

    /// Freezes or unfreezes a group. A frozen group's parameters stop requiring gradients, so backward
    /// passes flow through them (e.g. a frozen decoder into a trainable encoder) without filling their grads.
    public func setFrozen(_ frozen: Bool, group name: String) {
        guard let index = groups.firstIndex(where: { $0.name == name }) else {
            preconditionFailure("Adam: no parameter group '\(name)'")
        }
        groups[index].frozen = frozen
        for parameter in groups[index].parameters {
            parameter.requiresGrad = !frozen
            if frozen { parameter.zeroGrad() }
        }
    }

    /// One update of every trainable parameter with a gradient, at learning rate lr·lrFactor. The
    /// parameters are updated in chunks spread over the cores; an element's arithmetic does not depend
    /// on which core runs it.
    public func step(lrFactor: Float = 1) {
        var chunks: [(update: ElementUpdate, range: Range<Int>)] = []
        for (g, group) in groups.enumerated() where !group.frozen {
            let learningRate = Double(group.learningRate) * Double(lrFactor)
            for (p, parameter) in group.parameters.enumerated() {
                guard let grad = parameter.grad else { continue }
                let update = prepareUpdate(parameter, grad: grad, state: states[g][p], learningRate: learningRate)
                for start in stride(from: 0, to: parameter.count, by: Self.chunkSize) {
                    chunks.append((update, start..<min(start + Self.chunkSize, parameter.count)))
                }
            }
        }
        Parallel.forEachDynamically(chunks.count) { _, index in chunks[index].update.apply(to: chunks[index].range) }
    }

    /// Elements per unit of work: small parameters are one unit each, large ones are split.
    private static let chunkSize = 1 << 14

    /// Advances the parameter's step count and computes its update's coefficients.
    private func prepareUpdate(_ parameter: Tensor, grad: Tensor, state: MomentState, learningRate: Double) -> ElementUpdate {
        precondition(grad.shape == parameter.shape, "Adam: gradient shape \(grad.shape) for parameter \(parameter.shape)")
        state.step += 1
        let step = Double(state.step)
        let biasCorrection1 = 1 - Foundation.pow(beta1, step)
        let biasCorrection2Sqrt = (1 - Foundation.pow(beta2, step)).squareRoot()
        return ElementUpdate(parameter: parameter, grad: grad, state: state, stepSize: Float(learningRate / biasCorrection1),
                             correction2: Float(biasCorrection2Sqrt), oneMinusBeta1: Float(1 - beta1), beta2: Float(beta2),
                             oneMinusBeta2: Float(1 - beta2), eps: Float(eps))
    }

    /// One parameter's update with its coefficients rounded to float where torch rounds them.
    private struct ElementUpdate {
        let parameter: Tensor, grad: Tensor, state: MomentState
        let stepSize: Float, correction2: Float, oneMinusBeta1: Float, beta2: Float, oneMinusBeta2: Float, eps: Float

        func apply(to range: Range<Int>) {
            grad.withUnsafeBufferPointer { g in
                state.expAvg.withUnsafeMutableBufferPointer { m in
                    state.expAvgSq.withUnsafeMutableBufferPointer { v in
                        parameter.withUnsafeMutableBufferPointer { w in
                            for i in range {
                                m[i] += oneMinusBeta1 * (g[i] - m[i])
                                v[i] = v[i] * beta2 + oneMinusBeta2 * g[i] * g[i]
                                let denominator = v[i].squareRoot() / correction2 + eps
                                w[i] -= stepSize * (m[i] / denominator)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The optimiser state as named tensors, for checkpoints: for each parameter of each group,
    /// "group.param.exp_avg", "group.param.exp_avg_sq" and "group.param.step" (a scalar).
    public func stateTensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (g, group) in groups.enumerated() {
            for (p, name) in group.qualifiedNames.enumerated() {
                let state = states[g][p]
                out[name + ".exp_avg"] = state.expAvg.detached()
                out[name + ".exp_avg_sq"] = state.expAvgSq.detached()
                out[name + ".step"] = Tensor(scalar: Float(state.step))
            }
        }
        return out
    }

    /// Restores `stateTensors()` output exactly (bitwise resume); strict about keys and shapes.
    public func load(stateTensors state: [String: Tensor]) throws {
        var expected: [(String, Tensor)] = []
        for (g, group) in groups.enumerated() {
            for (p, name) in group.qualifiedNames.enumerated() {
                let moments = states[g][p]
                expected += [(name + ".exp_avg", moments.expAvg), (name + ".exp_avg_sq", moments.expAvgSq),
                             (name + ".step", Tensor(scalar: 0))]
            }
        }
        try checkNamedTensors(state, against: expected, strict: true, what: "Adam state")
        let badSteps = expected.map(\.0).filter { $0.hasSuffix(".step") && Adam.stepCount(state[$0]!.scalar) == nil }
        if !badSteps.isEmpty {
            throw NNError.stateMismatch(target: "Adam state", problems: badSteps.map {
                .invalidValue(key: $0, reason: "step count \(state[$0]!.scalar) is not a non-negative integer")
            })
        }
        for (g, group) in groups.enumerated() {
            for (p, name) in group.qualifiedNames.enumerated() {
                let moments = states[g][p]
                moments.expAvg.overwrite(with: state[name + ".exp_avg"]!)
                moments.expAvgSq.overwrite(with: state[name + ".exp_avg_sq"]!)
                moments.step = Adam.stepCount(state[name + ".step"]!.scalar)!
            }
        }
    }

    private static func stepCount(_ value: Float) -> Int? {
        value.isFinite && value >= 0 && value == value.rounded() ? Int(value) : nil
    }
}

/// Adam's per-parameter state: first and second moment estimates and the number of updates.
private final class MomentState {
    let expAvg: Tensor
    let expAvgSq: Tensor
    var step = 0

    init(shape: [Int]) {
        expAvg = Tensor.zeros(shape)
        expAvgSq = Tensor.zeros(shape)
    }
}
