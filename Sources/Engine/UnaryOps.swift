import Foundation

/// Differentiable elementwise functions of one tensor. Each is a small struct holding its value and
/// its derivative side by side; `elementwise` runs both as specialised, vectorised loops.

protocol DifferentiableFunction: UnaryFunction {
    static var name: String { get }
    /// dL/dx given dL/dy = `outputGrad` at input x with output y = f(x).
    func derivative(_ outputGrad: Float, x: Float, y: Float) -> Float
}

/// y = f(x) elementwise, recorded with f's derivative.
func elementwise<F: DifferentiableFunction>(_ x: Tensor, _ f: F) -> Tensor {
    let out = unaryMap(x, f)
    return recordOp(F.name, inputs: [x], output: out) { [unowned out] g in
        let dx = Tensor(uninitializedShape: x.shape)
        let pg = g.data, px = x.data, py = out.data, pd = dx.data
        Parallel.ranges(x.count, grain: elementwiseGrain) { range in
            for i in range { pd[i] = f.derivative(pg[i], x: px[i], y: py[i]) }
        }
        return [dx]
    }
}

public func exp(_ x: Tensor) -> Tensor { elementwise(x, Exp()) }
public func log(_ x: Tensor) -> Tensor { elementwise(x, Log()) }
public func sqrt(_ x: Tensor) -> Tensor { elementwise(x, SquareRoot()) }
public func square(_ x: Tensor) -> Tensor { elementwise(x, Square()) }
public func relu(_ x: Tensor) -> Tensor { elementwise(x, ReLU()) }
public func sigmoid(_ x: Tensor) -> Tensor { elementwise(x, Sigmoid()) }
public func tanh(_ x: Tensor) -> Tensor { elementwise(x, Tanh()) }
/// x · sigmoid(x) (a.k.a. swish).
public func silu(_ x: Tensor) -> Tensor { elementwise(x, SiLU()) }
/// |x|; the gradient at 0 is 0.
public func abs(_ x: Tensor) -> Tensor { elementwise(x, Absolute()) }

struct Exp: DifferentiableFunction {
    static let name = "exp"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { fastExp(x) }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { g * y }
}

struct Log: DifferentiableFunction {
    static let name = "log"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { g / x }
}

struct SquareRoot: DifferentiableFunction {
    static let name = "sqrt"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { 0.5 * g / y }
}

struct Square: DifferentiableFunction {
    static let name = "square"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { 2 * g * x }
}

struct ReLU: DifferentiableFunction {
    static let name = "relu"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { x > 0 ? g : 0 }
}

struct Sigmoid: DifferentiableFunction {
    static let name = "sigmoid"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { fastSigmoid(x) }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { g * y * (1 - y) }
}

struct Tanh: DifferentiableFunction {
    static let name = "tanh"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { g * (1 - y * y) }
}

struct SiLU: DifferentiableFunction {
    static let name = "silu"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * fastSigmoid(x) }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float {
        let s = fastSigmoid(x)
        return g * s * (1 + x * (1 - s))
    }
}

struct Absolute: DifferentiableFunction {
    static let name = "abs"
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) }
    @inline(__always) func derivative(_ g: Float, x: Float, y: Float) -> Float { x > 0 ? g : (x < 0 ? -g : 0) }
}
