import Foundation

/// Differentiable elementwise functions. Backward rules use the saved input or output,
/// whichever makes the derivative cheaper.

public func exp(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { fastExp($0) }
    return recordOp("exp", inputs: [x], output: out) { g in [zipMap(g, out) { $0 * $1 }] }
}

public func log(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { Foundation.log($0) }
    return recordOp("log", inputs: [x], output: out) { g in [zipMap(g, x) { $0 / $1 }] }
}

public func sqrt(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { $0.squareRoot() }
    return recordOp("sqrt", inputs: [x], output: out) { g in [zipMap(g, out) { 0.5 * $0 / $1 }] }
}

public func square(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { $0 * $0 }
    return recordOp("square", inputs: [x], output: out) { g in [zipMap(g, x) { 2 * $0 * $1 }] }
}

public func relu(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { $0 > 0 ? $0 : 0 }
    return recordOp("relu", inputs: [x], output: out) { g in [zipMap(g, x) { $1 > 0 ? $0 : 0 }] }
}

public func sigmoid(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { fastSigmoid($0) }
    return recordOp("sigmoid", inputs: [x], output: out) { g in [zipMap(g, out) { $0 * $1 * (1 - $1) }] }
}

public func tanh(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { Foundation.tanh($0) }
    return recordOp("tanh", inputs: [x], output: out) { g in [zipMap(g, out) { $0 * (1 - $1 * $1) }] }
}

/// x · sigmoid(x) (a.k.a. swish).
public func silu(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { $0 * fastSigmoid($0) }
    return recordOp("silu", inputs: [x], output: out) { g in
        [zipMap(g, x) { g, x in
            let s = fastSigmoid(x)
            return g * s * (1 + x * (1 - s))
        }]
    }
}

/// |x|; the gradient at 0 is 0.
public func abs(_ x: Tensor) -> Tensor {
    let out = unaryMap(x) { Swift.abs($0) }
    return recordOp("abs", inputs: [x], output: out) { g in [zipMap(g, x) { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) }] }
}
