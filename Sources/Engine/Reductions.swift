/// Sums and means over axes, and the two broadcasting primitives autodiff needs:
/// `summed(toShape:)` (gradient of a broadcast) and `broadcasted(to:)` (gradient of a sum).

extension Tensor {
    /// Sum of all elements, shape [].
    public func sum() -> Tensor {
        sum(axes: Array(0..<rank), keepDims: false)
    }

    /// Mean of all elements, shape [].
    public func mean() -> Tensor {
        mean(axes: Array(0..<rank), keepDims: false)
    }

    /// Sum over `axes` (negative axes count from the end).
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes, rank: rank, op: "sum")
        let keptShape = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let outShape = keepDims ? keptShape : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        let out = Tensor(viewing: reduceSum(self, keptShape: keptShape), shape: outShape)
        let inputShape = shape
        return recordOp("sum", inputs: [self], output: out) { g in
            [Tensor(viewing: g, shape: keptShape).broadcasted(to: inputShape)]
        }
    }

    /// Mean over `axes` (negative axes count from the end).
    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes, rank: rank, op: "mean")
        let n = axes.reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Sums over the axes along which `shape` broadcasts to this tensor's shape (the gradient of a
    /// broadcast). Returns self when the shapes are equal.
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(target.count <= rank && broadcastShape(target, shape) == shape,
                     "summed(toShape:): \(target) does not broadcast to \(shape)")
        let kept = [Int](repeating: 1, count: rank - target.count) + target
        let out = Tensor(viewing: reduceSum(self, keptShape: kept), shape: target)
        let inputShape = shape
        return recordOp("sumToShape", inputs: [self], output: out) { g in [g.broadcasted(to: inputShape)] }
    }

    /// This tensor repeated along the axes where it has size 1 (or is missing) to `target`.
    public func broadcasted(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(broadcastShape(shape, target) == target, "broadcasted(to:): \(shape) does not broadcast to \(target)")
        let out = Tensor(uninitializedShape: target)
        if out.count == 0 { return out }
        let inStrides = broadcastStrides(shape, rank: target.count)
        let outStrides = broadcastStrides(target, rank: target.count)
        let plan = LoopPlan(shape: target, strides: (0..<target.count).map { SIMD4(outStrides[$0], inStrides[$0], 0, 0) })
        let src = data, dst = out.data
        let inner = plan.innerCount, innerInStride = plan.innerStrides[1]
        Parallel.ranges(plan.outerCount, grain: Swift.max(1, elementwiseGrain / inner)) { runs in
            plan.forEachRun(runs) { offsets in
                let o = dst + offsets[0], i = src + offsets[1]
                if innerInStride == 0 {
                    o.update(repeating: i[0], count: inner)
                } else {
                    o.update(from: i, count: inner)
                }
            }
        }
        let inputShape = shape
        return recordOp("broadcast", inputs: [self], output: out) { g in [g.summed(toShape: inputShape)] }
    }
}

/// Axes in 0..<rank, negatives counted from the end, duplicates and range checked.
func normalizedAxes(_ axes: [Int], rank: Int, op: String) -> [Int] {
    let result = axes.map { $0 < 0 ? $0 + rank : $0 }
    precondition(result.allSatisfy { (0..<rank).contains($0) } && Set(result).count == result.count,
                 "\(op): invalid axes \(axes) for rank \(rank)")
    return result
}

/// Sums x (not differentiated) over the axes where `keptShape` (same rank) has size 1;
/// the result has shape `keptShape`.
func reduceSum(_ x: Tensor, keptShape: [Int]) -> Tensor {
    if x.count == 0 { return Tensor(shape: keptShape, repeating: 0) }
    let outStrides = broadcastStrides(keptShape, rank: x.rank)
    let inStrides = broadcastStrides(x.shape, rank: x.rank)
    let plan = LoopPlan(shape: x.shape, strides: (0..<x.rank).map { SIMD4(inStrides[$0], outStrides[$0], 0, 0) })
    let dims = plan.dims, strides = plan.strides
    let inner = plan.innerCount
    let innerReduced = plan.innerStrides[1] == 0
    let outerAllKept = strides.dropLast().allSatisfy { $0[1] != 0 }
    let src = x.data

    if innerReduced && !outerAllKept {
        // Mixed pattern such as [N, C, H·W] → [C]: row sums first (parallel), then reduce those.
        let rows = Tensor(uninitializedShape: Array(dims.dropLast()))
        let rowData = rows.data
        Parallel.ranges(plan.outerCount, grain: Swift.max(1, elementwiseGrain / inner)) { runs in
            var r = runs.lowerBound
            plan.forEachRun(runs) { offsets in
                rowData[r] = VectorMath.sum(src + offsets[0], count: inner)
                r += 1
            }
        }
        let rowKept = zip(dims.dropLast(), strides.dropLast()).map { $1[1] == 0 ? 1 : $0 }
        return Tensor(viewing: reduceSum(rows, keptShape: rowKept), shape: keptShape)
    }

    let out = Tensor(shape: keptShape, repeating: 0)
    let dst = out.data
    if innerReduced {
        // Every run owns one output element.
        Parallel.ranges(plan.outerCount, grain: Swift.max(1, elementwiseGrain / inner)) { runs in
            plan.forEachRun(runs) { offsets in
                dst[offsets[1]] += VectorMath.sum(src + offsets[0], count: inner)
            }
        }
    } else {
        // Inner run kept: threads take disjoint column slices of every run.
        let innerStrides = plan.innerStrides
        Parallel.ranges(inner, grain: Swift.max(64, elementwiseGrain / Swift.max(plan.outerCount, 1))) { columns in
            plan.forEachRun(0..<plan.outerCount) { start in
                let offsets = start &+ innerStrides &* columns.lowerBound
                let i = src + offsets[0], o = dst + offsets[1]
                for j in 0..<columns.count { o[j] += i[j] }
            }
        }
    }
    return out
}
