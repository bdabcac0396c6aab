// Finite-difference gradient checking, shared so every test target checks gradients the same way.
//
// A tensor-valued function is reduced to the scalar L = Σ wᵢ·f()ᵢ with fixed random weights w,
// summed in Double: float32 round-off in that sum would otherwise swamp the central difference.
import Engine

/// ∂L/∂input by central differences, L = Σ weights ⊙ f() (in Double), at `indices` (every entry when
/// nil). Perturbs `input` in place (restoring it) and evaluates `f` with grad mode off.
public func numericalGradient(of f: () -> Tensor, wrt input: Tensor, weights: Tensor,
                              epsilon: Float = 1e-2, at indices: [Int]? = nil) -> [Double] {
    withoutGrad {
        func set(_ i: Int, _ value: Float) { input.withUnsafeMutableBufferPointer { $0[i] = value } }
        let start = input.values
        return (indices ?? Array(0..<input.count)).map { i in
            let saved = start[i]
            set(i, saved + epsilon)
            let plus = weightedSum(f(), weights)
            set(i, saved - epsilon)
            let minus = weightedSum(f(), weights)
            set(i, saved)
            // Divide by the step actually taken (saved ± epsilon is rounded to float).
            return (plus - minus) / (Double(saved + epsilon) - Double(saved - epsilon))
        }
    }
}

/// How far backward() is from central differences for one input: the largest |analytic − numerical|
/// over the checked entries relative to the input's gradient scale, max(largest |numerical|, 1e-3).
/// A correct gradient gives about 1e-4 or less; a wrong one, or one that drops the small entries of a
/// tensor whose gradient is small everywhere, gives order 1.
public struct GradientDisagreement: CustomStringConvertible {
    public var input: String
    public var error: Double
    /// The worst entry.
    public var index: Int
    public var analytic: Double
    public var numerical: Double
    public var checkedEntries: Int

    public var description: String {
        "\(input)[\(index)]: backward \(analytic), finite differences \(numerical) "
            + "(relative error \(error) over \(checkedEntries) checked entries)"
    }
}

/// Compares backward() through `f` with central differences for every input, at every entry, or at
/// `samplesPerInput` distinct random entries of each (networks too big to difference completely).
public func gradientDisagreements(_ inputs: [(String, Tensor)], samplesPerInput: Int? = nil, epsilon: Float = 1e-2,
                                  seed: UInt64 = 7, _ f: () -> Tensor) -> [GradientDisagreement] {
    let tensors = inputs.map(\.1)
    let savedFlags = tensors.map(\.requiresGrad)
    defer { for (input, flag) in zip(tensors, savedFlags) { input.requiresGrad = flag } }
    for input in tensors {
        input.requiresGrad = true
        input.zeroGrad()
    }
    var rng = Philox(seed: seed)
    let probe = withoutGrad { f() }
    let weights = Tensor.uniform(probe.shape, low: -1, high: 1, rng: &rng)
    (f() * weights).sum().backward()

    return inputs.map { name, input in
        var indices = Array(0..<input.count)
        if let samples = samplesPerInput, samples < input.count {
            for i in 0..<samples { indices.swapAt(i, i + rng.uniformInt(input.count - i)) }
            indices = Array(indices.prefix(samples))
        }
        let numerical = numericalGradient(of: f, wrt: input, weights: weights, epsilon: epsilon, at: indices)
        let analytic = input.grad?.values ?? [Float](repeating: 0, count: input.count)
        input.zeroGrad()
        let scale = max(numerical.map { Swift.abs($0) }.max() ?? 0, 1e-3)
        var worst = GradientDisagreement(input: name, error: 0, index: indices.first ?? 0, analytic: 0, numerical: 0,
                                         checkedEntries: indices.count)
        for (index, n) in zip(indices, numerical) {
            let a = Double(analytic[index]), error = Swift.abs(a - n) / scale
            // NaN counts as the worst.
            if !(error <= worst.error) { (worst.error, worst.index, worst.analytic, worst.numerical) = (error.isNaN ? .infinity : error, index, a, n) }
        }
        return worst
    }
}

/// The worst disagreement over all `inputs`, every entry of each (see `gradientDisagreements`).
public func gradientCheckError(_ inputs: [Tensor], epsilon: Float = 1e-2, seed: UInt64 = 7,
                               _ f: () -> Tensor) -> Double {
    gradientDisagreements(inputs.map { ("", $0) }, epsilon: epsilon, seed: seed, f).map(\.error).max() ?? 0
}

private func weightedSum(_ output: Tensor, _ weights: Tensor) -> Double {
    precondition(output.count == weights.count, "gradient check: output shape changed to \(output.shape)")
    return zip(output.values, weights.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}
