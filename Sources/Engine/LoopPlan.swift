/// Strided iteration over up to four operands that share one index space (broadcasting, reductions).
///
/// Dimensions of size 1 are dropped and neighbours that are contiguous for every operand are merged,
/// so common patterns become one or two loops: same shape → one run; [N,C,H,W] + [1,C,1,1] →
/// [N, C, H·W] with the bias stride 0 along the inner run.
struct LoopPlan {
    /// Collapsed dimensions, outermost first; never empty (a scalar space is [1]).
    private(set) var dims: [Int]
    /// Per dimension, the element stride of each operand (lane); 0 where the operand broadcasts.
    private(set) var strides: [SIMD4<Int>]

    init(shape: [Int], strides rawStrides: [SIMD4<Int>]) {
        var dims: [Int] = []
        var strides: [SIMD4<Int>] = []
        for (size, stride) in zip(shape, rawStrides) where size != 1 {
            if let lastSize = dims.last, strides.last! == stride &* size {
                dims[dims.count - 1] = lastSize * size
                strides[strides.count - 1] = stride
            } else {
                dims.append(size)
                strides.append(stride)
            }
        }
        if dims.isEmpty {
            dims = [1]
            strides = [SIMD4(repeating: 0)]
        }
        self.dims = dims
        self.strides = strides
    }

    var innerCount: Int { dims[dims.count - 1] }
    var innerStrides: SIMD4<Int> { strides[strides.count - 1] }
    /// Number of inner runs.
    var outerCount: Int { dims.dropLast().reduce(1, *) }

    /// Calls `body` with each operand's offset at the start of every inner run in `runs`.
    @inline(__always)
    func forEachRun(_ runs: Range<Int>, _ body: (SIMD4<Int>) -> Void) {
        let outerRank = dims.count - 1
        if outerRank == 0 {
            if !runs.isEmpty { body(SIMD4(repeating: 0)) }
            return
        }
        var index = [Int](repeating: 0, count: outerRank)
        var offsets = SIMD4<Int>(repeating: 0)
        var remainder = runs.lowerBound
        for d in stride(from: outerRank - 1, through: 0, by: -1) {
            index[d] = remainder % dims[d]
            remainder /= dims[d]
            offsets &+= strides[d] &* index[d]
        }
        for _ in runs {
            body(offsets)
            var d = outerRank - 1
            while d >= 0 {
                index[d] += 1
                offsets &+= strides[d]
                if index[d] < dims[d] { break }
                offsets &-= strides[d] &* dims[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

/// Row-major element strides of `shape`, right-aligned to `rank` dimensions, with 0 wherever the
/// (padded) size is 1 so the operand broadcasts there.
func broadcastStrides(_ shape: [Int], rank: Int) -> [Int] {
    var result = [Int](repeating: 0, count: rank)
    var elementStride = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        result[rank - shape.count + i] = shape[i] == 1 ? 0 : elementStride
        elementStride *= shape[i]
    }
    return result
}

/// The NumPy broadcast of two shapes, or nil when they are incompatible.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else { return nil }
        result[i] = da == 1 ? db : da
    }
    return result
}
