import Engine

/// Exponential moving average of parameters with the `use_num_updates` rule (LZN-ALGORITHM §3.1):
/// on the n-th update d_n = min(decay, (1 + n)/(10 + n)) and s ← s − (1 − d_n)(s − θ).
/// The shadow starts as a copy of the parameters.
public final class EMA {
    public let decay: Double
    public private(set) var numUpdates = 0
    public let parameterNames: [String]
    public let parameters: [Tensor]
    public let shadow: [Tensor]

    public init(namedParameters: [(String, Tensor)], decay: Float) {
        precondition(decay >= 0 && decay <= 1, "EMA: decay \(decay) outside [0, 1]")
        precondition(Set(namedParameters.map { $0.0 }).count == namedParameters.count, "EMA: duplicate parameter names")
        self.decay = Double(decay)
        parameterNames = namedParameters.map { $0.0 }
        parameters = namedParameters.map { $0.1 }
        shadow = parameters.map { $0.detached() }
    }

    /// Parameters named by their position ("0", "1", …).
    public convenience init(parameters: [Tensor], decay: Float) {
        self.init(namedParameters: parameters.enumerated().map { ("\($0.offset)", $0.element) }, decay: decay)
    }

    /// d_n for the n-th update (n ≥ 1).
    public static func effectiveDecay(_ decay: Double, update n: Int) -> Double {
        min(decay, Double(1 + n) / Double(10 + n))
    }

    public func update() {
        numUpdates += 1
        let rate = Float(1 - EMA.effectiveDecay(decay, update: numUpdates))
        for (average, parameter) in zip(shadow, parameters) {
            parameter.withUnsafeBufferPointer { theta in
                average.withUnsafeMutableBufferPointer { s in
                    average.forEachChunk { chunk in
                        for i in chunk { s[i] -= rate * (s[i] - theta[i]) }
                    }
                }
            }
        }
    }

    /// Exchanges the parameters' values with the averages; calling it again swaps them back.
    public func swap() {
        for (average, parameter) in zip(shadow, parameters) { average.swapValues(with: parameter) }
    }

    /// Runs `body` with the averaged values in the parameters, restoring the trained values afterwards.
    public func withAveragedParameters<R>(_ body: () throws -> R) rethrows -> R {
        swap()
        defer { swap() }
        return try body()
    }

    /// The state as named tensors for checkpoints: "shadow.<name>" per parameter and "num_updates".
    public func stateTensors() -> [String: Tensor] {
        var out = ["num_updates": Tensor(scalar: Float(numUpdates))]
        for (name, average) in zip(parameterNames, shadow) { out["shadow." + name] = average.detached() }
        return out
    }

    /// Restores `stateTensors()` output exactly; strict about keys and shapes.
    public func load(stateTensors state: [String: Tensor]) throws {
        let expected = [("num_updates", Tensor(scalar: 0))] + zip(parameterNames, shadow).map { ("shadow." + $0, $1) }
        try checkNamedTensors(state, against: expected, strict: true, what: "EMA state")
        let count = state["num_updates"]!.scalar
        guard count.isFinite, count >= 0, count == count.rounded() else {
            throw NNError.stateMismatch(target: "EMA state", problems: [
                .invalidValue(key: "num_updates", reason: "\(count) is not a non-negative integer"),
            ])
        }
        for (name, average) in zip(parameterNames, shadow) { average.overwrite(with: state["shadow." + name]!) }
        numUpdates = Int(count)
    }
}
