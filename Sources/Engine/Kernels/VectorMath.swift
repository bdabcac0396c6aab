/// Vectorised building blocks shared by the kernels (plain Float loops don't vectorise reductions,
/// because the compiler may not reorder floating-point sums).
enum VectorMath {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount

    /// An unaligned load of `V.scalarCount` floats; the width comes from the context or from `as:`.
    @inline(__always)
    static func load<V: SIMD>(_ p: UnsafePointer<Float>, as _: V.Type = V.self) -> V where V.Scalar == Float {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// The sum of the lanes as a tree of halves: 4 shuffles and adds, where `SIMD.sum()` adds the 16 lanes
    /// one after another in order (a chain of 15 dependent shuffles and adds).
    @inline(__always)
    static func treeSum(_ v: Vector) -> Float { treeSum(v.lowHalf + v.highHalf) }

    @inline(__always)
    static func treeSum(_ v: SIMD8<Float>) -> Float {
        let four = v.lowHalf + v.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// `treeSum` of 16 vectors at once: lane k is `treeSum(vector(k))` bit for bit (the same additions
    /// in the same order), in 15 vector additions where 16 `treeSum`s take 64 narrowing steps.
    @inline(__always)
    static func treeSums(_ vector: (Int) -> Vector) -> Vector {
        typealias Pairs = SIMD8<Double>
        // Each level adds the low and high halves of every input's remaining sums and packs two vectors'
        // results into one: after `halves` a vector holds 2 inputs' 8-lane sums, after `quarters` 4 inputs'
        // 4-lane sums, after `eighths` 8 inputs' 2-lane sums, after `lanes` the 16 totals.
        func halves(_ a: Vector, _ b: Vector) -> Vector {
            Vector(lowHalf: a.lowHalf, highHalf: b.lowHalf) + Vector(lowHalf: a.highHalf, highHalf: b.highHalf)
        }
        func quarters(_ a: Vector, _ b: Vector) -> Vector {
            Vector(lowHalf: SIMD8(lowHalf: a.lowHalf.lowHalf, highHalf: a.highHalf.lowHalf),
                   highHalf: SIMD8(lowHalf: b.lowHalf.lowHalf, highHalf: b.highHalf.lowHalf))
                + Vector(lowHalf: SIMD8(lowHalf: a.lowHalf.highHalf, highHalf: a.highHalf.highHalf),
                         highHalf: SIMD8(lowHalf: b.lowHalf.highHalf, highHalf: b.highHalf.highHalf))
        }
        func eighths(_ a: Vector, _ b: Vector) -> Vector {
            let (x, y) = (unsafeBitCast(a, to: Pairs.self), unsafeBitCast(b, to: Pairs.self))
            return unsafeBitCast(Pairs(lowHalf: x.evenHalf, highHalf: y.evenHalf), to: Vector.self)
                + unsafeBitCast(Pairs(lowHalf: x.oddHalf, highHalf: y.oddHalf), to: Vector.self)
        }
        func lanes(_ a: Vector, _ b: Vector) -> Vector {
            Vector(lowHalf: a.evenHalf, highHalf: b.evenHalf) + Vector(lowHalf: a.oddHalf, highHalf: b.oddHalf)
        }
        let e0 = halves(vector(0), vector(1)), e1 = halves(vector(2), vector(3))
        let e2 = halves(vector(4), vector(5)), e3 = halves(vector(6), vector(7))
        let e4 = halves(vector(8), vector(9)), e5 = halves(vector(10), vector(11))
        let e6 = halves(vector(12), vector(13)), e7 = halves(vector(14), vector(15))
        let f0 = quarters(e0, e1), f1 = quarters(e2, e3), f2 = quarters(e4, e5), f3 = quarters(e6, e7)
        return lanes(eighths(f0, f1), eighths(f2, f3))
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
            let a = load(x + i, as: Vector.self)
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
