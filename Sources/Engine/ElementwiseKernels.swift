/// Forward loops shared by the elementwise ops: tight pointer loops, split over threads when large.

/// Elements per parallel chunk for cheap elementwise loops.
let elementwiseGrain = 1 << 15

/// out[i] = f(x[i]) over a fresh tensor of x's shape.
@inline(__always)
func unaryMap(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    let out = Tensor(uninitializedShape: x.shape)
    let src = x.data, dst = out.data
    Parallel.ranges(x.count, grain: elementwiseGrain) { range in
        for i in range { dst[i] = f(src[i]) }
    }
    return out
}

/// out[i] = f(a[i], b[i]) for two tensors with the same element count; out has a's shape.
@inline(__always)
func zipMap(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    precondition(a.count == b.count, "zipMap: \(a.shape) vs \(b.shape)")
    let out = Tensor(uninitializedShape: a.shape)
    let pa = a.data, pb = b.data, dst = out.data
    Parallel.ranges(a.count, grain: elementwiseGrain) { range in
        for i in range { dst[i] = f(pa[i], pb[i]) }
    }
    return out
}

/// out = f(a, b) with NumPy broadcasting.
@inline(__always)
func broadcastMap(_ op: String, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
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
    let inner = plan.innerCount, innerStrides = plan.innerStrides
    func run(_ o: Int, _ ia: Int, _ ib: Int, _ n: Int) {
        broadcastRun(n, dst + o, pa + ia, innerStrides[1], pb + ib, innerStrides[2], f)
    }
    if plan.outerCount >= 2 * Parallel.threads || inner < elementwiseGrain {
        Parallel.ranges(plan.outerCount, grain: max(1, elementwiseGrain / inner)) { runs in
            plan.forEachRun(runs) { run($0[0], $0[1], $0[2], inner) }
        }
    } else {
        // Few long runs: split each run instead.
        plan.forEachRun(0..<plan.outerCount) { start in
            Parallel.ranges(inner, grain: elementwiseGrain) { part in
                let offsets = start &+ innerStrides &* part.lowerBound
                run(offsets[0], offsets[1], offsets[2], part.count)
            }
        }
    }
    return out
}

/// One inner run: each input's stride is 0 (broadcast) or 1.
@inline(__always)
private func broadcastRun(_ n: Int, _ out: UnsafeMutablePointer<Float>,
                          _ a: UnsafePointer<Float>, _ strideA: Int,
                          _ b: UnsafePointer<Float>, _ strideB: Int, _ f: (Float, Float) -> Float) {
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
