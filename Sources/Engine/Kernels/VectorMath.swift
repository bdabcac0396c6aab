/// Vectorised building blocks shared by the kernels (plain Float loops don't vectorise reductions,
/// because the compiler may not reorder floating-point sums).
enum VectorMath {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// The sum of the lanes as a tree of halves: 4 shuffles and adds, where `SIMD.sum()` adds the 16 lanes
    /// one after another in order (a chain of 15 dependent shuffles and adds).
    @inline(__always)
    static func treeSum(_ v: Vector) -> Float {
        let eight = v.lowHalf + v.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Vector(), i = 0
        while i + width <= count { acc += load(x + i); i += width }
        var total = acc.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// Σ x and Σ x·y in one pass.
    static func sumAndDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> (sum: Float, dot: Float) {
        var s = Vector(), d = Vector(), i = 0
        while i + width <= count {
            let a = load(x + i)
            s += a
            d += a * load(y + i)
            i += width
        }
        var sum = s.sum(), dot = d.sum()
        while i < count { sum += x[i]; dot += x[i] * y[i]; i += 1 }
        return (sum, dot)
    }

    /// Σ (x - center)², the second pass of a two-pass variance.
    static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, center: Float) -> Float {
        var acc = Vector(), i = 0
        let c = Vector(repeating: center)
        while i + width <= count { let d = load(x + i) - c; acc += d * d; i += width }
        var total = acc.sum()
        while i < count { let d = x[i] - center; total += d * d; i += 1 }
        return total
    }
}
