import Foundation

/// Ops along one axis, viewing the tensor as [outer, length, inner]: max (gradient to the argmax),
/// logSumExp, softmax and logSoftmax.

/// The [outer, length, inner] view of `shape` around `axis`.
struct AxisLayout {
    let axis: Int
    let outer: Int
    let length: Int
    let inner: Int

    init(shape: [Int], axis rawAxis: Int, op: String) {
        axis = normalizedAxes([rawAxis], rank: shape.count, op: op)[0]
        outer = shape[..<axis].reduce(1, *)
        length = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
        precondition(length > 0, "\(op): axis \(rawAxis) of shape \(shape) is empty")
    }

    /// The shape with the axis reduced to 1 (keepDims) or removed.
    func reducedShape(_ shape: [Int], keepDims: Bool) -> [Int] {
        var result = shape
        if keepDims { result[axis] = 1 } else { result.remove(at: axis) }
        return result
    }

    /// Outer slices per parallel chunk, sized so each chunk does about `elementwiseGrain` elements.
    var outerGrain: Int { max(1, elementwiseGrain / max(1, length * inner)) }
}

extension Tensor {
    /// Maximum along `axis`; the gradient goes to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let layout = AxisLayout(shape: shape, axis: axis, op: "max")
        let out = Tensor(uninitializedShape: layout.reducedShape(shape, keepDims: keepDims))
        var argmax = [Int32](repeating: 0, count: out.count)
        let src = data, dst = out.data, (length, inner) = (layout.length, layout.inner)
        argmax.withUnsafeMutableBufferPointer { indices in
            let index = indices.baseAddress!
            Parallel.ranges(layout.outer, grain: layout.outerGrain) { outers in
                for o in outers {
                    let x = src + o * length * inner, m = dst + o * inner, k = index + o * inner
                    m.update(from: x, count: inner)
                    for l in 1..<Swift.max(length, 1) {
                        let row = x + l * inner
                        for i in 0..<inner where row[i] > m[i] {
                            m[i] = row[i]
                            k[i] = Int32(l)
                        }
                    }
                }
            }
        }
        let inputShape = shape
        return recordOp("max", inputs: [self], output: out) { g in
            let dx = Tensor(shape: inputShape, repeating: 0)
            let pd = dx.data, pg = g.data
            argmax.withUnsafeBufferPointer { indices in
                for o in 0..<layout.outer {
                    for i in 0..<inner {
                        let j = o * inner + i
                        pd[(o * length + Int(indices[j])) * inner + i] = pg[j]
                    }
                }
            }
            return [dx]
        }
    }

    /// log Σ exp along `axis`, computed stably around the maximum.
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor {
        let layout = AxisLayout(shape: shape, axis: axis, op: "logSumExp")
        let out = Tensor(uninitializedShape: layout.reducedShape(shape, keepDims: keepDims))
        axisLogSumExp(data, out.data, layout)
        let input = self
        return recordOp("logSumExp", inputs: [self], output: out) { [unowned out] g in
            // d lse / dx = softmax(x) = exp(x − lse)
            [combineAlongAxis(layout, input, input, out, g, ScaledExpOfDifference())]
        }
    }

    /// exp(x) / Σ exp(x) along `axis`.
    public func softmax(axis: Int) -> Tensor {
        let layout = AxisLayout(shape: shape, axis: axis, op: "softmax")
        let out: Tensor
        if layout.inner == 1 {
            out = Tensor(uninitializedShape: shape)
            SoftmaxKernels.forwardRows(input: data, output: out.data, rows: layout.outer, columns: layout.length)
        } else {
            let lse = Tensor(uninitializedShape: [layout.outer * layout.inner])
            axisLogSumExp(data, lse.data, layout)
            out = combineAlongAxis(layout, self, self, lse, lse, ExpOfDifference())
        }
        return recordOp("softmax", inputs: [self], output: out) { [unowned out] g in
            if layout.inner == 1 {
                let dx = Tensor(uninitializedShape: out.shape)
                SoftmaxKernels.backwardRows(output: out.data, outputGrad: g.data, inputGrad: dx.data,
                                            rows: layout.outer, columns: layout.length)
                return [dx]
            }
            // dx = y ⊙ (g − Σ g ⊙ y)
            let dot = (g * out).sum(axes: [layout.axis], keepDims: true)
            return [combineAlongAxis(layout, out, g, dot, dot, SoftmaxGradient())]
        }
    }

    /// x − logSumExp(x) along `axis`.
    public func logSoftmax(axis: Int) -> Tensor {
        let layout = AxisLayout(shape: shape, axis: axis, op: "logSoftmax")
        let lse = Tensor(uninitializedShape: [layout.outer * layout.inner])
        axisLogSumExp(data, lse.data, layout)
        let out = combineAlongAxis(layout, self, self, lse, lse, Difference())
        return recordOp("logSoftmax", inputs: [self], output: out) { [unowned out] g in
            // dx = g − softmax ⊙ Σ g
            let total = g.sum(axes: [layout.axis], keepDims: true)
            return [combineAlongAxis(layout, out, g, total, total, LogSoftmaxGradient())]
        }
    }
}

/// An elementwise function of two full-size operands (a, b) and two axis-reduced ones (r, s).
protocol AxisCombination {
    func callAsFunction(_ a: Float, _ b: Float, _ r: Float, _ s: Float) -> Float
}

/// s · exp(a − r): the logSumExp gradient (r = lse, s = output gradient).
struct ScaledExpOfDifference: AxisCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float, _ r: Float, _ s: Float) -> Float { s * fastExp(a - r) }
}

/// exp(a − r): softmax from the logSumExp r.
struct ExpOfDifference: AxisCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float, _ r: Float, _ s: Float) -> Float { fastExp(a - r) }
}

/// a − r: logSoftmax from the logSumExp r.
struct Difference: AxisCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float, _ r: Float, _ s: Float) -> Float { a - r }
}

/// a · (b − r): softmax gradient with a = y, b = g, r = Σ g·y.
struct SoftmaxGradient: AxisCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float, _ r: Float, _ s: Float) -> Float { a * (b - r) }
}

/// b − exp(a) · r: logSoftmax gradient with a = log-probabilities, b = g, r = Σ g.
struct LogSoftmaxGradient: AxisCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float, _ r: Float, _ s: Float) -> Float { b - fastExp(a) * r }
}

/// out[o, l, i] = f(a[o, l, i], b[o, l, i], r[o, i], s[o, i]). Vectorises along the axis when it is the last one, else along `inner`.
func combineAlongAxis<F: AxisCombination>(_ layout: AxisLayout, _ a: Tensor, _ b: Tensor,
                                          _ r: Tensor, _ s: Tensor, _ f: F) -> Tensor {
    let out = Tensor(uninitializedShape: a.shape)
    let pa = a.data, pb = b.data, pr = r.data, ps = s.data, po = out.data
    let (length, inner) = (layout.length, layout.inner)
    Parallel.ranges(layout.outer, grain: layout.outerGrain) { outers in
        for o in outers {
            // Offsets go into the pointers first: checked index arithmetic inside a loop blocks vectorisation.
            if inner == 1 {
                let base = o * length, rv = pr[o], sv = ps[o]
                let a = pa + base, b = pb + base, out = po + base
                for l in 0..<length { out[l] = f(a[l], b[l], rv, sv) }
            } else {
                let r = pr + o * inner, s = ps + o * inner
                for l in 0..<length {
                    let base = (o * length + l) * inner
                    let a = pa + base, b = pb + base, out = po + base
                    for i in 0..<inner { out[i] = f(a[i], b[i], r[i], s[i]) }
                }
            }
        }
    }
    return out
}

/// out[o, i] = log Σ_l exp(x[o, l, i]), stable; an all −inf slice gives −inf.
func axisLogSumExp(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ layout: AxisLayout) {
    let (length, inner) = (layout.length, layout.inner)
    Parallel.ranges(layout.outer, grain: layout.outerGrain) { outers in
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(length, inner))
        defer { scratch.deallocate() }
        for o in outers {
            let slice = x + o * length * inner, result = out + o * inner
            if inner == 1 {
                let m = rowMaximum(slice, length)
                let shift = m == -.infinity ? 0 : m
                for l in 0..<length { scratch[l] = fastExp(slice[l] - shift) }
                result[0] = shift + Foundation.log(VectorMath.sum(scratch, count: length))
            } else {
                result.update(from: slice, count: inner)
                for l in 1..<length {
                    let row = slice + l * inner
                    for i in 0..<inner { result[i] = row[i] > result[i] ? row[i] : result[i] }
                }
                scratch.update(repeating: 0, count: inner)
                for i in 0..<inner { result[i] = result[i] == -.infinity ? 0 : result[i] }
                for l in 0..<length {
                    let row = slice + l * inner
                    for i in 0..<inner { scratch[i] += fastExp(row[i] - result[i]) }
                }
                for i in 0..<inner { result[i] += Foundation.log(scratch[i]) }
            }
        }
    }
}

/// The largest of n contiguous floats (−inf for n = 0), sixteen lanes at a time. (Compare-and-replace
/// compiles to packed compares; the generic `pointwiseMax` does not and is ten times slower.)
@inline(__always)
func rowMaximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var lanes = SIMD16<Float>(repeating: -.infinity)
    var i = 0
    while i + 16 <= n {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
        lanes.replace(with: v, where: v .> lanes)
        i += 16
    }
    var result = -Float.infinity
    for lane in 0..<16 where lanes[lane] > result { result = lanes[lane] }
    while i < n {
        if p[i] > result { result = p[i] }
        i += 1
    }
    return result
}
