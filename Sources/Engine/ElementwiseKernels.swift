/// Forward loops shared by the elementwise ops: tight pointer loops, split over threads when large.
/// Functions are passed as generic values (not closures) so every loop is specialised, inlined and
/// vectorised at its call site.

/// Elements per parallel chunk for cheap elementwise loops.
let elementwiseGrain = 1 << 15

protocol UnaryFunction {
    func callAsFunction(_ x: Float) -> Float
}

protocol BinaryFunction {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

struct Add: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
}

struct ScaledAdd: BinaryFunction {
    let s: Float
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { (a + b) * s }
}

struct Subtract: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
}

struct Multiply: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b }
}

struct Divide: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b }
}

/// out[i] = f(x[i]) over a fresh tensor of x's shape.
func unaryMap<F: UnaryFunction>(_ x: Tensor, _ f: F) -> Tensor {
    let out = Tensor(uninitializedShape: x.shape)
    let src = x.data, dst = out.data
    Parallel.ranges(x.count, grain: elementwiseGrain) { range in
        for i in range { dst[i] = f(src[i]) }
    }
    return out
}

/// out[i] = f(a[i], b[i]) for two tensors with the same element count; out has a's shape.
func zipMap<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, _ f: F) -> Tensor {
    precondition(a.count == b.count, "zipMap: \(a.shape) vs \(b.shape)")
    let out = Tensor(uninitializedShape: a.shape)
    let pa = a.data, pb = b.data, dst = out.data
    Parallel.ranges(a.count, grain: elementwiseGrain) { range in
        for i in range { dst[i] = f(pa[i], pb[i]) }
    }
    return out
}

/// out = f(a, b) with NumPy broadcasting.
func broadcastMap<F: BinaryFunction>(_ op: String, _ a: Tensor, _ b: Tensor, _ f: F) -> Tensor {
    if a.shape == b.shape { return zipMap(a, b, f) }
    guard let shape = broadcastShape(a.shape, b.shape) else {
        preconditionFailure("\(op): shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let out = Tensor(uninitializedShape: shape)
    if out.count == 0 { return out }
    let sa = broadcastStrides(a.shape, rank: shape.count)
    let sb = broadcastStrides(b.shape, rank: shape.count)
    let so = broadcastStrides(shape, rank: shape.count)
    let plan = LoopPlan(shape: shape, strides: (0..<shape.count).map { SIMD4(so[$0], sa[$0], sb[$0], 0) })
    let pa = a.data, pb = b.data, dst = out.data
    let inner = plan.innerCount, strideA = plan.innerStrides[1], strideB = plan.innerStrides[2]
    if plan.outerCount >= 2 * Parallel.threads || inner < elementwiseGrain {
        Parallel.ranges(plan.outerCount, grain: max(1, elementwiseGrain / inner)) { runs in
            plan.forEachRun(runs) { o in
                broadcastRun(inner, dst + o[0], pa + o[1], strideA, pb + o[2], strideB, f)
            }
        }
    } else {
        // Few long runs: split each run instead.
        plan.forEachRun(0..<plan.outerCount) { start in
            Parallel.ranges(inner, grain: elementwiseGrain) { part in
                let o = start &+ plan.innerStrides &* part.lowerBound
                broadcastRun(part.count, dst + o[0], pa + o[1], strideA, pb + o[2], strideB, f)
            }
        }
    }
    return out
}

/// One inner run: each input's stride is 0 (broadcast) or 1.
@inline(__always)
private func broadcastRun<F: BinaryFunction>(_ n: Int, _ out: UnsafeMutablePointer<Float>,
                                             _ a: UnsafePointer<Float>, _ strideA: Int,
                                             _ b: UnsafePointer<Float>, _ strideB: Int, _ f: F) {
    if strideA == 1 && strideB == 1 {
        for i in 0..<n { out[i] = f(a[i], b[i]) }
    } else if strideB == 0 {
        let bv = b[0]
        for i in 0..<n { out[i] = f(a[i], bv) }
    } else {
        let av = a[0]
        for i in 0..<n { out[i] = f(av, b[i]) }
    }
}
