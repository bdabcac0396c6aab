// Finite-difference gradient checking, shared so every test target checks gradients the same way.
//
// A tensor-valued function is reduced to the scalar L = Σ wᵢ·f()ᵢ with fixed random weights w,
// summed in Double: float32 round-off in that sum would otherwise swamp the central difference.
import Engine

/// ∂L/∂input by central differences, L = Σ weights ⊙ f() (in Double). Perturbs `input` in place
/// (restoring it) and evaluates `f` with grad mode off.
public func numericalGradient(of f: () -> Tensor, wrt input: Tensor, weights: Tensor,
                              epsilon: Float = 1e-2) -> [Double] {
    withoutGrad {
        var result = [Double](repeating: 0, count: input.count)
        func set(_ i: Int, _ value: Float) { input.withUnsafeMutableBufferPointer { $0[i] = value } }
        let start = input.values
        for i in 0..<input.count {
            let saved = start[i]
            set(i, saved + epsilon)
            let plus = weightedSum(f(), weights)
            set(i, saved - epsilon)
            let minus = weightedSum(f(), weights)
            set(i, saved)
            // Divide by the step actually taken (saved ± epsilon is rounded to float).
            result[i] = (plus - minus) / (Double(saved + epsilon) - Double(saved - epsilon))
        }
        return result
    }
}

/// The worst disagreement between backward() and central differences over all `inputs`, relative to
/// each input's largest numerical gradient: max |analytic − numerical| / max(max |numerical|, 1e-3).
/// A correct gradient gives about 1e-4 or less; a wrong one gives order 1.
public func gradientCheckError(_ inputs: [Tensor], epsilon: Float = 1e-2, seed: UInt64 = 7,
                               _ f: () -> Tensor) -> Double {
    let savedFlags = inputs.map(\.requiresGrad)
    defer { for (input, flag) in zip(inputs, savedFlags) { input.requiresGrad = flag } }
    for input in inputs {
        input.requiresGrad = true
        input.zeroGrad()
    }
    var rng = Philox(seed: seed)
    let probe = withoutGrad { f() }
    let weights = Tensor.uniform(probe.shape, low: -1, high: 1, rng: &rng)
    (f() * weights).sum().backward()

    var worst = 0.0
    for input in inputs {
        let numerical = numericalGradient(of: f, wrt: input, weights: weights, epsilon: epsilon)
        let analytic = input.grad?.values ?? [Float](repeating: 0, count: input.count)
        let scale = max(numerical.map { Swift.abs($0) }.max() ?? 0, 1e-3)
        for (a, n) in zip(analytic, numerical) {
            worst = max(worst, Swift.abs(Double(a) - n) / scale)
        }
        input.zeroGrad()
    }
    return worst
}

private func weightedSum(_ output: Tensor, _ weights: Tensor) -> Double {
    precondition(output.count == weights.count, "gradient check: output shape changed to \(output.shape)")
    return zip(output.values, weights.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}
