/// + - * / between tensors (NumPy broadcasting) and with Float scalars, prefix -.
/// Each backward rule sits under its op; broadcast gradients are summed back to the input shapes.

public func + (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap("+", a, b, Add())
    let shapeA = a.shape, shapeB = b.shape
    return recordOp("add", inputs: [a, b], output: out) { g in
        [g.summed(toShape: shapeA), g.summed(toShape: shapeB)]
    }
}

public func - (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap("-", a, b, Subtract())
    let shapeA = a.shape, shapeB = b.shape
    return recordOp("sub", inputs: [a, b], output: out) { g in
        [g.summed(toShape: shapeA), (-g).summed(toShape: shapeB)]
    }
}

public func * (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap("*", a, b, Multiply())
    return recordOp("mul", inputs: [a, b], output: out) { g in
        [a.isTracked ? (g * b).summed(toShape: a.shape) : nil,
         b.isTracked ? (g * a).summed(toShape: b.shape) : nil]
    }
}

public func / (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastMap("/", a, b, Divide())
    return recordOp("div", inputs: [a, b], output: out) { [unowned out] g in
        let ga = g / b
        // d(a/b)/db = -(a/b)/b, so the b gradient reuses g/b: -(g/b)·out.
        return [a.isTracked ? ga.summed(toShape: a.shape) : nil,
                b.isTracked ? (-(ga * out)).summed(toShape: b.shape) : nil]
    }
}

/// (a + b)·s for tensors of one shape in a single pass (the residual merges of MODELS.md's
/// networks, `(skip + h)/√2`); both inputs receive the same gradient g·s.
public func scaledSum(_ a: Tensor, _ b: Tensor, scale s: Float) -> Tensor {
    precondition(a.shape == b.shape, "scaledSum: shapes \(a.shape) and \(b.shape) differ")
    let out = zipMap(a, b, ScaledAdd(s: s))
    return recordOp("scaledSum", inputs: [a, b], output: out) { g in
        let scaled = g * s
        return [scaled, scaled]
    }
}

public prefix func - (x: Tensor) -> Tensor { elementwise(x, Negate()) }

public func + (a: Tensor, s: Float) -> Tensor { elementwise(a, AddScalar(s: s)) }
public func + (s: Float, a: Tensor) -> Tensor { elementwise(a, AddScalar(s: s)) }
public func - (a: Tensor, s: Float) -> Tensor { elementwise(a, AddScalar(s: -s)) }
public func - (s: Float, a: Tensor) -> Tensor { elementwise(a, ScalarMinus(s: s)) }
public func * (a: Tensor, s: Float) -> Tensor { elementwise(a, MultiplyScalar(s: s)) }
public func * (s: Float, a: Tensor) -> Tensor { elementwise(a, MultiplyScalar(s: s)) }
public func / (a: Tensor, s: Float) -> Tensor { elementwise(a, MultiplyScalar(s: 1 / s)) }
public func / (s: Float, a: Tensor) -> Tensor { elementwise(a, ScalarOver(s: s)) }

struct Negate: DifferentiableFunction {
    static let name = "neg"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { -x }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { -g }
}

struct AddScalar: DifferentiableFunction {
    static let name = "addScalar"
    let s: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x + s }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { g }
}

struct ScalarMinus: DifferentiableFunction {
    static let name = "scalarMinus"
    let s: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { s - x }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { -g }
}

struct MultiplyScalar: DifferentiableFunction {
    static let name = "mulScalar"
    let s: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * s }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { g * s }
}

/// s / x
struct ScalarOver: DifferentiableFunction {
    static let name = "scalarOver"
    let s: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { s / x }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { -g * y / x }
}
