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
            argmax.withUnsafeBufferPointer { indices in
                for o in 0..<layout.outer {
                    for i in 0..<inner {
                        let j = o * inner + i
                        dx.data[(o * length + Int(indices[j])) * inner + i] = g.data[j]
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
        return recordOp("logSumExp", inputs: [self], output: out) { g in
            // d lse / dx = softmax(x) = exp(x - lse).
            let dx = Tensor(uninitializedShape: input.shape)
            forEachAlongAxis(layout) { offset, reducedOffset in
                let lse = out.data[reducedOffset], gradient = g.data[reducedOffset]
                dx.data[offset] = gradient * fastExp(input.data[offset] - lse)
            }
            return [dx]
        }
    }

    /// exp(x) / Σ exp(x) along `axis`.
    public func softmax(axis: Int) -> Tensor {
        let layout = AxisLayout(shape: shape, axis: axis, op: "softmax")
        let out = Tensor(uninitializedShape: shape)
        if layout.inner == 1 {
            SoftmaxKernels.forwardRows(input: data, output: out.data, rows: layout.outer, columns: layout.length)
        } else {
            let lse = Tensor(uninitializedShape: [layout.outer * layout.inner])
            axisLogSumExp(data, lse.data, layout)
            let src = data
            forEachAlongAxis(layout) { offset, reducedOffset in
                out.data[offset] = fastExp(src[offset] - lse.data[reducedOffset])
            }
        }
        return recordOp("softmax", inputs: [self], output: out) { g in
            let dx = Tensor(uninitializedShape: out.shape)
            if layout.inner == 1 {
                SoftmaxKernels.backwardRows(output: out.data, outputGrad: g.data, inputGrad: dx.data,
                                            rows: layout.outer, columns: layout.length)
            } else {
                // dx = y ⊙ (g − Σ g ⊙ y)
                let dot = (g * out).sum(axes: [layout.axis], keepDims: true)
                forEachAlongAxis(layout) { offset, reducedOffset in
                    dx.data[offset] = out.data[offset] * (g.data[offset] - dot.data[reducedOffset])
                }
            }
            return [dx]
        }
    }

    /// x − logSumExp(x) along `axis`.
    public func logSoftmax(axis: Int) -> Tensor {
        let layout = AxisLayout(shape: shape, axis: axis, op: "logSoftmax")
        let lse = Tensor(uninitializedShape: [layout.outer * layout.inner])
        axisLogSumExp(data, lse.data, layout)
        let out = Tensor(uninitializedShape: shape)
        let src = data
        forEachAlongAxis(layout) { offset, reducedOffset in
            out.data[offset] = src[offset] - lse.data[reducedOffset]
        }
        return recordOp("logSoftmax", inputs: [self], output: out) { g in
            // dx = g − softmax ⊙ Σ g
            let total = g.sum(axes: [layout.axis], keepDims: true)
            let dx = Tensor(uninitializedShape: out.shape)
            forEachAlongAxis(layout) { offset, reducedOffset in
                dx.data[offset] = g.data[offset] - fastExp(out.data[offset]) * total.data[reducedOffset]
            }
            return [dx]
        }
    }
}

/// Calls body(offset, reducedOffset) for every element: its offset in the full tensor and the offset
/// of its [outer, inner] slot in the axis-reduced tensor. Parallel over outer slices; the inner loop
/// runs over contiguous memory.
@inline(__always)
func forEachAlongAxis(_ layout: AxisLayout, _ body: (Int, Int) -> Void) {
    let (length, inner) = (layout.length, layout.inner)
    Parallel.ranges(layout.outer, grain: layout.outerGrain) { outers in
        for o in outers {
            for l in 0..<length {
                let base = (o * length + l) * inner, reducedBase = o * inner
                for i in 0..<inner { body(base + i, reducedBase + i) }
            }
        }
    }
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
                var m = -Float.infinity
                for l in 0..<length where slice[l] > m { m = slice[l] }
                let shift = m == -.infinity ? 0 : m
                for l in 0..<length { scratch[l] = fastExp(slice[l] - shift) }
                result[0] = shift + Foundation.log(VectorMath.sum(scratch, count: length))
            } else {
                result.update(from: slice, count: inner)
                for l in 1..<length {
                    let row = slice + l * inner
                    for i in 0..<inner where row[i] > result[i] { result[i] = row[i] }
                }
                scratch.update(repeating: 0, count: inner)
                for i in 0..<inner where result[i] == -.infinity { result[i] = 0 }
                for l in 0..<length {
                    let row = slice + l * inner
                    for i in 0..<inner { scratch[i] += fastExp(row[i] - result[i]) }
                }
                for i in 0..<inner { result[i] += Foundation.log(scratch[i]) }
            }
        }
    }
}
