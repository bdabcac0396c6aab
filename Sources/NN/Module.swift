import Engine

/// A layer or network: a small class with stored parameters and child modules (mlx-swift style).
///
/// Subclasses list their own parameters and children in `visit(_:)`, in a fixed order. Parameter
/// names are the property paths joined with dots ("d0.c1.weight"); they are the checkpoint format
/// and match the PyTorch twin in `benchmarks/torch_reference.py`, in PyTorch's registration order.
open class Module {
    /// Training mode (dropout active); `train()`/`eval()` set it for the whole tree.
    public var training = true

    public init() {}

    /// Lists this module's own parameters and child modules, in the order checkpoints use.
    open func visit(_ visitor: inout ModuleVisitor) {}

    open func namedParameters() -> [(String, Tensor)] {
        var visitor = ModuleVisitor()
        visit(&visitor)
        return visitor.parameters
    }

    public func parameters() -> [Tensor] {
        namedParameters().map { $0.1 }
    }

    /// Number of scalar parameters.
    public var parameterCount: Int {
        parameters().reduce(0) { $0 + $1.count }
    }

    /// This module and all its descendants, parents first.
    public func modules() -> [Module] {
        var visitor = ModuleVisitor()
        visit(&visitor)
        return [self] + visitor.modules
    }

    public func train(_ on: Bool = true) {
        for module in modules() { module.training = on }
    }

    public func eval() { train(false) }

    public func zeroGrad() {
        for parameter in parameters() { parameter.zeroGrad() }
    }

    /// Copies of all parameters under their dotted names.
    public func stateDict() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (name, parameter) in namedParameters() { state[name] = parameter.detached() }
        return state
    }

    /// Overwrites the parameters' values in place (optimisers keep their references).
    ///
    /// Strict loading requires exactly the model's keys; any loading requires matching shapes.
    /// All problems are reported at once and nothing is changed when there is one.
    public func load(stateDict: [String: Tensor], strict: Bool = true) throws {
        let named = namedParameters()
        try checkNamedTensors(stateDict, against: named, strict: strict, what: "\(type(of: self)) parameters")
        for (name, parameter) in named {
            if let source = stateDict[name] { parameter.overwrite(with: source) }
        }
    }
}

/// Collects parameters and child modules under dotted names; see `Module.visit(_:)`.
public struct ModuleVisitor {
    private var prefix = ""
    public private(set) var parameters: [(String, Tensor)] = []
    public private(set) var modules: [Module] = []

    public init() {}

    public mutating func parameter(_ name: String, _ tensor: Tensor) {
        parameters.append((prefix + name, tensor))
    }

    public mutating func child(_ name: String, _ module: Module) {
        let saved = prefix
        prefix += name + "."
        modules.append(module)
        module.visit(&self)
        prefix = saved
    }

    public mutating func child(_ name: String, _ module: Module?) {
        if let module { child(name, module) }
    }
}
