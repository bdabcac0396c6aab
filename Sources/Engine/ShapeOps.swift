/// Movement ops: reshape (a view), permute/transpose, concat, slice and gather (index_select).

extension Tensor {
    /// The same elements under another shape (one dimension may be -1). Shares this tensor's buffer.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let resolved = resolveReshape(newShape)
        if resolved == shape { return self }
        let out = Tensor(viewing: self, shape: resolved)
        let inputShape = shape
        return recordOp("reshape", inputs: [self], output: out) { g in [Tensor(viewing: g, shape: inputShape)] }
    }

    private func resolveReshape(_ newShape: [Int]) -> [Int] {
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        precondition(inferred.count <= 1 && newShape.allSatisfy { $0 >= -1 }, "reshaped: invalid shape \(newShape)")
        var resolved = newShape
        if let i = inferred.first {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            precondition(known > 0 && count % known == 0, "reshaped: cannot infer \(newShape) for \(count) elements")
            resolved[i] = count / known
        }
        precondition(resolved.reduce(1, *) == count, "reshaped: \(newShape) does not hold \(count) elements of \(shape)")
        return resolved
    }

    /// Axes reordered: output axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permuted: \(axes) is not a permutation of 0..<\(rank)")
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        let out = Tensor(uninitializedShape: outShape)
        let inStrides = broadcastStrides(shape, rank: rank)
        let outStrides = broadcastStrides(outShape, rank: rank)
        let plan = LoopPlan(shape: outShape, strides: (0..<rank).map { SIMD4(outStrides[$0], inStrides[axes[$0]], 0, 0) })
        let src = data, dst = out.data
        let inner = plan.innerCount, step = plan.innerStrides[1]
        Parallel.ranges(plan.outerCount, grain: Swift.max(1, elementwiseGrain / inner)) { runs in
            plan.forEachRun(runs) { offsets in
                let o = dst + offsets[0], i = src + offsets[1]
                if step == 1 {
                    o.update(from: i, count: inner)
                } else {
                    var source = i
                    for j in 0..<inner {
                        o[j] = source.pointee
                        source += step
                    }
                }
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, axis) in axes.enumerated() { inverse[axis] = i }
        return recordOp("permute", inputs: [self], output: out) { g in [g.permuted(inverse)] }
    }

    /// The last two axes swapped.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed: needs rank ≥ 2, got shape \(shape)")
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return permuted(axes)
    }

    /// Elements `range` along `axis` (a copy).
    public func sliced(axis rawAxis: Int, range: Range<Int>) -> Tensor {
        let axis = normalizedAxes([rawAxis], rank: rank, op: "sliced")[0]
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "sliced: range \(range) outside axis \(axis) of shape \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        let out = Tensor(uninitializedShape: outShape)
        let inner = shape[(axis + 1)...].reduce(1, *), outer = shape[..<axis].reduce(1, *)
        let inRow = shape[axis] * inner, outRow = range.count * inner, start = range.lowerBound * inner
        let src = data, dst = out.data
        Parallel.ranges(outer, grain: Swift.max(1, elementwiseGrain / Swift.max(outRow, 1))) { outers in
            for o in outers { (dst + o * outRow).update(from: src + o * inRow + start, count: outRow) }
        }
        let inputShape = shape
        return recordOp("slice", inputs: [self], output: out) { g in
            let dx = Tensor(shape: inputShape, repeating: 0)
            for o in 0..<outer { (dx.data + o * inRow + start).update(from: g.data + o * outRow, count: outRow) }
            return [dx]
        }
    }

    /// Elements at `indices` along `axis`, in that order (index_select; indices may repeat).
    public func gathered(indices: [Int], axis rawAxis: Int) -> Tensor {
        let axis = normalizedAxes([rawAxis], rank: rank, op: "gathered")[0]
        let length = shape[axis]
        precondition(indices.allSatisfy { (0..<length).contains($0) }, "gathered: index outside 0..<\(length) on axis \(axis)")
        var outShape = shape
        outShape[axis] = indices.count
        let out = Tensor(uninitializedShape: outShape)
        let inner = shape[(axis + 1)...].reduce(1, *), outer = shape[..<axis].reduce(1, *)
        let src = data, dst = out.data, n = indices.count
        indices.withUnsafeBufferPointer { index in
            Parallel.ranges(outer * n, grain: Swift.max(1, elementwiseGrain / Swift.max(inner, 1))) { rows in
                for row in rows {
                    let o = row / n, j = row % n
                    (dst + row * inner).update(from: src + (o * length + index[j]) * inner, count: inner)
                }
            }
        }
        let inputShape = shape
        return recordOp("gather", inputs: [self], output: out) { g in
            let dx = Tensor(shape: inputShape, repeating: 0)
            // Serial over indices (they may repeat); parallel over outer slices.
            indices.withUnsafeBufferPointer { index in
                Parallel.ranges(outer, grain: Swift.max(1, elementwiseGrain / Swift.max(n * inner, 1))) { outers in
                    for o in outers {
                        for j in 0..<n {
                            let target = dx.data + (o * length + index[j]) * inner, source = g.data + (o * n + j) * inner
                            for i in 0..<inner { target[i] += source[i] }
                        }
                    }
                }
            }
            return [dx]
        }
    }
}

/// The tensors joined along `axis`; all other dimensions must agree.
public func concat(_ tensors: [Tensor], axis rawAxis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concat: no tensors")
    let first = tensors[0]
    let axis = normalizedAxes([rawAxis], rank: first.rank, op: "concat")[0]
    for t in tensors {
        var a = t.shape, b = first.shape
        precondition(a.count == b.count, "concat: ranks differ, \(t.shape) vs \(first.shape)")
        a[axis] = 0
        b[axis] = 0
        precondition(a == b, "concat: shapes \(t.shape) and \(first.shape) differ off axis \(axis)")
    }
    let inner = first.shape[(axis + 1)...].reduce(1, *), outer = first.shape[..<axis].reduce(1, *)
    let lengths = tensors.map { $0.shape[axis] }
    var outShape = first.shape
    outShape[axis] = lengths.reduce(0, +)
    let out = Tensor(uninitializedShape: outShape)
    let outRow = outShape[axis] * inner
    var start = 0
    for (t, length) in zip(tensors, lengths) {
        let src = t.data, dst = out.data + start * inner, row = length * inner
        Parallel.ranges(outer, grain: Swift.max(1, elementwiseGrain / Swift.max(row, 1))) { outers in
            for o in outers { (dst + o * outRow).update(from: src + o * row, count: row) }
        }
        start += length
    }
    return recordOp("concat", inputs: tensors, output: out) { g in
        var offset = 0
        return zip(tensors, lengths).map { t, length in
            defer { offset += length }
            return t.isTracked ? g.sliced(axis: axis, range: offset..<(offset + length)) : nil
        }
    }
}
