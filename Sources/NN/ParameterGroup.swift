import Engine

/// Named parameters that share a learning rate and can be frozen together (encoder, decoder, …).
public struct ParameterGroup {
    public let name: String
    /// Parameter names within the group; they key the optimiser and EMA state.
    public let parameterNames: [String]
    public let parameters: [Tensor]
    public var learningRate: Float
    public var frozen: Bool

    public init(name: String, namedParameters: [(String, Tensor)], learningRate: Float, frozen: Bool = false) {
        precondition(Set(namedParameters.map { $0.0 }).count == namedParameters.count,
                     "ParameterGroup '\(name)': duplicate parameter names")
        self.name = name
        parameterNames = namedParameters.map { $0.0 }
        parameters = namedParameters.map { $0.1 }
        self.learningRate = learningRate
        self.frozen = frozen
    }

    /// Parameters named by their position ("0", "1", …).
    public init(name: String, parameters: [Tensor], learningRate: Float, frozen: Bool = false) {
        self.init(name: name, namedParameters: parameters.enumerated().map { ("\($0.offset)", $0.element) },
                  learningRate: learningRate, frozen: frozen)
    }

    /// "group.parameter" for each parameter, the prefix of its state keys.
    var qualifiedNames: [String] { parameterNames.map { "\(name).\($0)" } }
}
