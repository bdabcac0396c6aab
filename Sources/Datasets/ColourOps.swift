import Foundation

/// The photometric operations of the two-view augmentation, on channels-first float images in
/// [0, 1], following torchvision's tensor implementations (`functional_tensor`).
enum ColourOps {
    static let lumaWeights: (Float, Float, Float) = (0.2989, 0.587, 0.114)

    static func brightness(_ x: UnsafeMutableBufferPointer<Float>, factor: Float) {
        for i in x.indices { x[i] = min(max(x[i] * factor, 0), 1) }
    }

    /// Blends with the mean gray level of the whole image.
    static func contrast(_ x: UnsafeMutableBufferPointer<Float>, channels: Int, factor: Float) {
        let plane = x.count / channels
        var total: Float = 0
        if channels == 3 {
            for p in 0..<plane { total += luma(x, p, plane) }
        } else {
            for v in x { total += v }
        }
        let mean = total / Float(plane)
        for i in x.indices { x[i] = min(max(factor * x[i] + (1 - factor) * mean, 0), 1) }
    }

    /// Blends each pixel with its own gray level (RGB only).
    static func saturation(_ x: UnsafeMutableBufferPointer<Float>, factor: Float) {
        let plane = x.count / 3
        for p in 0..<plane {
            let gray = luma(x, p, plane)
            for c in 0..<3 { x[c * plane + p] = min(max(factor * x[c * plane + p] + (1 - factor) * gray, 0), 1) }
        }
    }

    /// Rotates the hue by `shift` turns (RGB only), through HSV.
    static func hue(_ x: UnsafeMutableBufferPointer<Float>, shift: Float) {
        let plane = x.count / 3
        for p in 0..<plane {
            let r = x[p], g = x[plane + p], b = x[2 * plane + p]
            let maxC = max(r, g, b), minC = min(r, g, b), chroma = maxC - minC
            guard chroma > 0 else { continue }  // gray pixels have no hue to rotate
            var h: Float
            if maxC == r {
                h = (g - b) / chroma
            } else if maxC == g {
                h = (b - r) / chroma + 2
            } else {
                h = (r - g) / chroma + 4
            }
            h = h / 6 + shift
            h -= h.rounded(.down)
            let s = chroma / maxC, v = maxC
            let h6 = h * 6, sector = min(Int(h6), 5), f = h6 - Float(sector)
            let pv = v * (1 - s), qv = v * (1 - s * f), tv = v * (1 - s * (1 - f))
            let rgb: (Float, Float, Float)
            switch sector {
            case 0: rgb = (v, tv, pv)
            case 1: rgb = (qv, v, pv)
            case 2: rgb = (pv, v, tv)
            case 3: rgb = (pv, qv, v)
            case 4: rgb = (tv, pv, v)
            default: rgb = (v, pv, qv)
            }
            x[p] = rgb.0
            x[plane + p] = rgb.1
            x[2 * plane + p] = rgb.2
        }
    }

    /// Replaces all three channels by the gray level.
    static func grayscale(_ x: UnsafeMutableBufferPointer<Float>) {
        let plane = x.count / 3
        for p in 0..<plane {
            let gray = luma(x, p, plane)
            for c in 0..<3 { x[c * plane + p] = gray }
        }
    }

    /// Separable Gaussian blur of `channels` planes of `size × size`, reflect padding; `scratch`
    /// holds at least `x.count` floats.
    static func gaussianBlur(_ x: UnsafeMutableBufferPointer<Float>, channels: Int, size: Int, kernel: Int, sigma: Float,
                             scratch: UnsafeMutablePointer<Float>) {
        let radius = min(kernel / 2, size - 1)
        guard radius > 0, sigma > 0 else { return }
        var weights = (-radius...radius).map { d -> Float in
            let z = Float(d) / sigma
            return exp(-0.5 * z * z)
        }
        let total = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= total }
        func reflect(_ i: Int) -> Int { i < 0 ? -i : (i >= size ? 2 * (size - 1) - i : i) }
        weights.withUnsafeBufferPointer { w in
            for c in 0..<channels {
                let plane = x.baseAddress! + c * size * size, tmp = scratch + c * size * size
                for y in 0..<size {
                    for xPos in 0..<size {
                        var sum: Float = 0
                        for t in 0..<w.count { sum += w[t] * plane[y * size + reflect(xPos + t - radius)] }
                        tmp[y * size + xPos] = sum
                    }
                }
                for y in 0..<size {
                    for xPos in 0..<size {
                        var sum: Float = 0
                        for t in 0..<w.count { sum += w[t] * tmp[reflect(y + t - radius) * size + xPos] }
                        plane[y * size + xPos] = sum
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func luma(_ x: UnsafeMutableBufferPointer<Float>, _ p: Int, _ plane: Int) -> Float {
        lumaWeights.0 * x[p] + lumaWeights.1 * x[plane + p] + lumaWeights.2 * x[2 * plane + p]
    }
}
