/// + - * / between tensors (NumPy broadcasting) and with Float scalars, prefix -.
/// Each backward rule sits under its op; broadcast gradients are summed back to the input shapes.

public func + (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap("+", a, b) { $0 + $1 }
    let shapeA = a.shape, shapeB = b.shape
    return recordOp("add", inputs: [a, b], output: out) { g in
        [g.summed(toShape: shapeA), g.summed(toShape: shapeB)]
    }
}

public func - (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap("-", a, b) { $0 - $1 }
    let shapeA = a.shape, shapeB = b.shape
    return recordOp("sub", inputs: [a, b], output: out) { g in
        [g.summed(toShape: shapeA), (-g).summed(toShape: shapeB)]
    }
}

public func * (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap("*", a, b) { $0 * $1 }
    return recordOp("mul", inputs: [a, b], output: out) { g in
        [a.isTracked ? (g * b).summed(toShape: a.shape) : nil,
         b.isTracked ? (g * a).summed(toShape: b.shape) : nil]
    }
}

public func / (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap("/", a, b) { $0 / $1 }
    return recordOp("div", inputs: [a, b], output: out) { g in
        let ga = g / b
        // d(a/b)/db = -(a/b)/b, so the b gradient reuses g/b: -(g/b)·out.
        return [a.isTracked ? ga.summed(toShape: a.shape) : nil,
                b.isTracked ? zipMap(ga, out) { -$0 * $1 }.summed(toShape: b.shape) : nil]
    }
}

public prefix func - (x: Tensor) -> Tensor {
    let out = unaryMap(x) { -$0 }
    return recordOp("neg", inputs: [x], output: out) { g in [-g] }
}

public func + (a: Tensor, s: Float) -> Tensor {
    let out = unaryMap(a) { $0 + s }
    return recordOp("addScalar", inputs: [a], output: out) { g in [g] }
}

public func + (s: Float, a: Tensor) -> Tensor { a + s }

public func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

public func - (s: Float, a: Tensor) -> Tensor {
    let out = unaryMap(a) { s - $0 }
    return recordOp("rsubScalar", inputs: [a], output: out) { g in [-g] }
}

public func * (a: Tensor, s: Float) -> Tensor {
    let out = unaryMap(a) { $0 * s }
    return recordOp("mulScalar", inputs: [a], output: out) { g in [g * s] }
}

public func * (s: Float, a: Tensor) -> Tensor { a * s }

public func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

public func / (s: Float, a: Tensor) -> Tensor {
    let out = unaryMap(a) { s / $0 }
    return recordOp("rdivScalar", inputs: [a], output: out) { g in
        [zipMap(g, zipMap(out, a) { $0 / $1 }) { -$0 * $1 }]
    }
}
