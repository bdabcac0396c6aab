import Foundation

/// Counter-based Philox4x32-10 generator (Salmon et al., SC'11).
///
/// Word `i` of stream `s` under seed `k` is a pure function of (k, s, i), so bulk fills are split
/// over threads and still give the same numbers for any thread count. The state is three integers
/// (seed, stream, position) and is Codable for checkpoints.
public struct Philox: Codable, Equatable {
    public let seed: UInt64
    public let stream: UInt64
    /// Number of 32-bit words consumed so far.
    public private(set) var position: UInt64 = 0

    private var cachedBlockIndex = UInt64.max
    private var cachedBlock = SIMD4<UInt32>()

    private enum CodingKeys: String, CodingKey { case seed, stream, position }

    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    public static func == (a: Philox, b: Philox) -> Bool {
        a.seed == b.seed && a.stream == b.stream && a.position == b.position
    }

    /// An independent child generator, a deterministic function of (seed, stream, `stream`) only.
    public func split(_ stream: UInt64) -> Philox {
        Philox(seed: seed, stream: splitMix64(self.stream &+ splitMix64(stream &+ 0x632B_E59B_D9B4_E019)))
    }

    public mutating func nextUInt32() -> UInt32 {
        let blockIndex = position >> 2
        if blockIndex != cachedBlockIndex {
            cachedBlock = philoxBlock(blockIndex)
            cachedBlockIndex = blockIndex
        }
        let word = cachedBlock[Int(position & 3)]
        position &+= 1
        return word
    }

    /// Uniform in [0, 1), 24 bits of resolution.
    public mutating func uniform() -> Float {
        unitFloat(nextUInt32())
    }

    /// Standard normal (Box-Muller on two words).
    public mutating func normal() -> Float {
        let radius = boxMullerRadius(nextUInt32())
        return radius * cos(2 * Float.pi * unitFloat(nextUInt32()))
    }

    /// Uniform integer in 0..<upperBound (Lemire's unbiased multiply-and-reject).
    public mutating func uniformInt(_ upperBound: Int) -> Int {
        precondition(upperBound > 0 && upperBound <= Int(UInt32.max), "uniformInt: bound \(upperBound) out of range")
        let bound = UInt64(upperBound)
        var product = UInt64(nextUInt32()) * bound
        if UInt32(truncatingIfNeeded: product) < UInt32(truncatingIfNeeded: bound) {
            let threshold = UInt32(truncatingIfNeeded: (0 &- bound) % bound)
            while UInt32(truncatingIfNeeded: product) < threshold {
                product = UInt64(nextUInt32()) * bound
            }
        }
        return Int(product >> 32)
    }

    /// Fills with N(0, std²) draws. Starts at the next block boundary; each block of four words
    /// gives four normals (two Box-Muller pairs).
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, std: Float = 1) {
        fillNormal(buffer, std: std, slice: 0..<buffer.count, of: buffer.count)
    }

    /// Writes values `slice` of what `fillNormal` of `total` values would draw into `buffer`
    /// (`slice.count` floats) and advances as that whole fill would: one data-parallel rank's rows
    /// of a batch-wide draw, without drawing the other ranks' rows.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, std: Float = 1, slice: Range<Int>, of total: Int) {
        fillBlocks(buffer, slice: slice, of: total, grain: 2048) { w in
            let r0 = std * boxMullerRadius(w[0]), a0 = 2 * Float.pi * unitFloat(w[1])
            let r1 = std * boxMullerRadius(w[2]), a1 = 2 * Float.pi * unitFloat(w[3])
            return SIMD4(r0 * cos(a0), r0 * sin(a0), r1 * cos(a1), r1 * sin(a1))
        }
    }

    /// Fills with uniform draws in [low, high). Starts at the next block boundary, one word per value.
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float, high: Float) {
        fillUniform(buffer, low: low, high: high, slice: 0..<buffer.count, of: buffer.count)
    }

    /// Values `slice` of what `fillUniform` of `total` values would draw (see the sliced `fillNormal`).
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float, high: Float, slice: Range<Int>, of total: Int) {
        let scale = high - low
        fillBlocks(buffer, slice: slice, of: total, grain: 4096) { w in
            SIMD4(low + scale * unitFloat(w[0]), low + scale * unitFloat(w[1]),
                  low + scale * unitFloat(w[2]), low + scale * unitFloat(w[3]))
        }
    }

    /// The bulk fills: value i of a `total`-value fill is lane i mod 4 of `values(block i / 4)`,
    /// blocks counted from the next whole unused one; only `slice` is computed and written, and the
    /// generator ends after the whole fill's blocks.
    @inline(__always)
    private mutating func fillBlocks(_ buffer: UnsafeMutableBufferPointer<Float>, slice: Range<Int>, of total: Int, grain: Int,
                                     _ values: (SIMD4<UInt32>) -> SIMD4<Float>) {
        precondition(slice.lowerBound >= 0 && slice.upperBound <= total && buffer.count == slice.count,
                     "Philox fill: slice \(slice) of \(total) values into \(buffer.count) floats")
        guard total > 0 else { return }
        let first = alignToBlock()
        position = (first + UInt64((total + 3) / 4)) << 2
        guard let out = buffer.baseAddress, !buffer.isEmpty else { return }
        let (start, end) = (slice.lowerBound, slice.upperBound)
        let firstBlock = start / 4, blocks = (end + 3) / 4 - firstBlock
        let generator = self
        Parallel.ranges(blocks, grain: grain) { range in
            for block in range {
                let drawn = values(generator.philoxBlock(first + UInt64(firstBlock + block)))
                let base = (firstBlock + block) * 4
                for lane in 0..<4 where (start..<end).contains(base + lane) { out[base + lane - start] = drawn[lane] }
            }
        }
    }

    /// A uniformly random permutation of 0..<n (Fisher-Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var result = Array(0..<n)
        if n < 2 { return result }
        for i in stride(from: n - 1, to: 0, by: -1) {
            result.swapAt(i, uniformInt(i + 1))
        }
        return result
    }

    /// Index of the first whole unused block.
    private func alignToBlock() -> UInt64 {
        (position + 3) >> 2
    }

    /// Philox4x32-10 of counter (blockIndex, stream) under key `seed`.
    @inline(__always)
    private func philoxBlock(_ blockIndex: UInt64) -> SIMD4<UInt32> {
        var c0 = UInt32(truncatingIfNeeded: blockIndex), c1 = UInt32(truncatingIfNeeded: blockIndex >> 32)
        var c2 = UInt32(truncatingIfNeeded: stream), c3 = UInt32(truncatingIfNeeded: stream >> 32)
        var k0 = UInt32(truncatingIfNeeded: seed), k1 = UInt32(truncatingIfNeeded: seed >> 32)
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return SIMD4(c0, c1, c2, c3)
    }
}

/// Top 24 bits of a word as a float in [0, 1).
@inline(__always)
private func unitFloat(_ word: UInt32) -> Float {
    Float(word >> 8) * 0x1p-24
}

/// sqrt(-2 ln u) for u in (0, 1] taken from a word (u never 0, so the radius stays finite).
@inline(__always)
private func boxMullerRadius(_ word: UInt32) -> Float {
    (-2 * log(Float((word >> 8) + 1) * 0x1p-24)).squareRoot()
}

private func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
