/// Branch-free float math the compiler can vectorise (libm calls block vectorisation).

/// e^x with relative error below 3e-7 on [-87.3, 88.3] (Cephes expf polynomial, exponent built from
/// bits). Returns +inf from about 88.38 up (where the power of two overflows), 0 below -87.33, NaN for NaN.
@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float {
    let clamped = x > 88.7 ? 88.7 : (x < -87.3 ? -87.3 : x)
    // Adding 1.5·2^23 rounds to the nearest integer without a libm call; its low bits hold n.
    let shifted = clamped * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    p = p * r * r + r + 1
    let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    let result = p * scale
    return x > 88.72 ? .infinity : (x < -87.33 ? 0 : result)
}

/// 1 / (1 + e^-x).
@inlinable @inline(__always)
public func fastSigmoid(_ x: Float) -> Float {
    1 / (1 + fastExp(-x))
}

/// `fastExp` on 16 lanes with fused multiply-adds (FMA rounding, so a lane may differ from the scalar
/// function in the last bit).
@inlinable @inline(__always)
public func fastExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    typealias V = SIMD16<Float>
    // pointwiseMin/Max compile to vminps/vmaxps; SIMD's `clamped` is a loop over the lanes.
    let clamped = pointwiseMin(pointwiseMax(x, V(repeating: -87.3)), V(repeating: 88.7))
    let shifted = V(repeating: 12_582_912).addingProduct(clamped, V(repeating: 1.442_695_04))
    let n = shifted - 12_582_912
    let r = clamped.addingProduct(n, V(repeating: -0.693_359_375)).addingProduct(n, V(repeating: 2.121_944_4e-4))
    var p = V(repeating: 1.398_199_950_7e-3).addingProduct(V(repeating: 1.987_569_15e-4), r)
    p = V(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
    p = V(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
    p = V(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
    p = V(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
    p = (r + 1).addingProduct(p * r, r)
    let bits = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let result = p * unsafeBitCast(bits, to: V.self)
    return result.replacing(with: .infinity, where: x .> 88.72).replacing(with: 0, where: x .< -87.33)
        .replacing(with: x, where: x .!= x)
}

/// 1 / (1 + e^-x) on 16 lanes without a division (a 16-lane divide stalls the GroupNorm+SiLU loops): with
/// e = e^-|x| ∈ (0, 1] the denominator d = 1 + e lies in (1, 2], where the linear guess 24/17 − 8/17·d is
/// within 1/17 of 1/d and three Newton steps bring that below float rounding. σ(x) = 1/d for x ≥ 0, e/d below.
@inlinable @inline(__always)
public func fastSigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
    typealias V = SIMD16<Float>
    // |x| by clearing the sign bit (pointwiseMax(x, -x) compiles to a loop over the lanes).
    let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: V.self)
    let e = fastExp(-magnitude)
    let d = 1 + e
    var r = V(repeating: 24 / 17).addingProduct(d, V(repeating: -8 / 17))
    for _ in 0..<3 { r = r.addingProduct(r, V(repeating: 1).addingProduct(-d, r)) }
    return (e * r).replacing(with: r, where: x .>= 0)
}
