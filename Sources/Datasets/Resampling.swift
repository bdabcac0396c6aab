import Foundation

/// One axis of a separable resampling: which input pixels each output pixel reads, with what weights.
///
/// Output pixel `o` covers the input interval `[start + o·step, start + (o+1)·step)`, where
/// `step = length / outputSize`. Shrinking (`step ≥ 1`) averages the covered pixels weighted by
/// overlap ("area"); enlarging (`step < 1`) interpolates linearly between the two nearest pixel
/// centres ("bilinear", half-pixel centres as in PyTorch with align_corners = false).
struct Resampling {
    let outputSize: Int
    let taps: Int
    let first: [Int]
    let weights: [Float]  // outputSize × taps; unused taps have weight 0 and stay in range

    init(inputSize: Int, start: Double, length: Double, outputSize: Int) {
        precondition(inputSize > 0 && outputSize > 0 && length > 0, "Resampling: empty axis")
        let step = length / Double(outputSize)
        let taps = step >= 1 ? Int(step.rounded(.up)) + 1 : 2
        var first = [Int](repeating: 0, count: outputSize)
        var weights = [Float](repeating: 0, count: outputSize * taps)
        for o in 0..<outputSize {
            if step >= 1 {
                let a = min(max(start + Double(o) * step, 0), Double(inputSize))
                let b = min(max(a + step, 0), Double(inputSize))
                let i0 = min(Int(a.rounded(.down)), inputSize - 1)
                first[o] = max(0, min(i0, inputSize - taps))
                let span = max(b - a, 1e-12)
                for t in 0..<taps {
                    let i = first[o] + t
                    let overlap = min(b, Double(i + 1)) - max(a, Double(i))
                    if overlap > 0 { weights[o * taps + t] = Float(overlap / span) }
                }
            } else {
                let centre = min(max(start + (Double(o) + 0.5) * step - 0.5, 0), Double(inputSize - 1))
                let i0 = Int(centre.rounded(.down))
                let fraction = centre - Double(i0)
                first[o] = max(0, min(i0, inputSize - 2))
                if inputSize == 1 {
                    first[o] = 0
                    weights[o * taps] = 1
                } else {
                    weights[o * taps + (i0 - first[o])] += Float(1 - fraction)
                    if fraction > 0 { weights[o * taps + (i0 - first[o]) + 1] += Float(fraction) }
                }
            }
        }
        self.outputSize = outputSize
        self.taps = min(taps, inputSize)
        // Narrow inputs: re-pack so every tap index stays inside the input.
        if taps > inputSize {
            var packed = [Float](repeating: 0, count: outputSize * inputSize)
            for o in 0..<outputSize {
                for t in 0..<taps where weights[o * taps + t] != 0 { packed[o * inputSize + first[o] + t] += weights[o * taps + t] }
                first[o] = 0
            }
            self.weights = packed
        } else {
            self.weights = weights
        }
        self.first = first
    }

    /// The first-tap and weight tables as pointers, for the inner loops.
    func withTables<R>(_ body: (UnsafePointer<Int>, UnsafePointer<Float>) -> R) -> R {
        first.withUnsafeBufferPointer { f in weights.withUnsafeBufferPointer { w in body(f.baseAddress!, w.baseAddress!) } }
    }

    /// The axis mapping of "resize so the shorter side is `size`, then take the centre `size` pixels".
    static func shorterSideCentreCrop(height: Int, width: Int, size: Int) -> (rows: Resampling, cols: Resampling) {
        // Resized extent of each axis, truncated like torchvision's Resize.
        let resizedH = height <= width ? size : Int(Double(size) * Double(height) / Double(width))
        let resizedW = width <= height ? size : Int(Double(size) * Double(width) / Double(height))
        func axis(_ input: Int, _ resized: Int) -> Resampling {
            let offset = (Double(resized - size) / 2).rounded(.toNearestOrEven)  // CenterCrop's offset
            let scale = Double(input) / Double(resized)
            return Resampling(inputSize: input, start: offset * scale, length: Double(size) * scale, outputSize: size)
        }
        return (axis(height, max(resizedH, size)), axis(width, max(resizedW, size)))
    }
}

/// Resamples `channels` planes of `height × width` floats into `rows.outputSize × cols.outputSize`.
func resample(_ src: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
              rows: Resampling, cols: Resampling, into dst: UnsafeMutablePointer<Float>) {
    let outH = rows.outputSize, outW = cols.outputSize
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: height * outW)
    defer { scratch.deallocate() }
    rows.withTables { rowFirst, rowWeights in
        cols.withTables { colFirst, colWeights in
            for c in 0..<channels {
                let plane = src + c * height * width
                for y in 0..<height {
                    let line = plane + y * width
                    for x in 0..<outW {
                        let taps = line + colFirst[x], w = colWeights + x * cols.taps
                        var sum: Float = 0
                        for t in 0..<cols.taps { sum += w[t] * taps[t] }
                        scratch[y * outW + x] = sum
                    }
                }
                let out = dst + c * outH * outW
                for y in 0..<outH {
                    let taps = scratch + rowFirst[y] * outW, w = rowWeights + y * rows.taps
                    for x in 0..<outW {
                        var sum: Float = 0
                        for t in 0..<rows.taps { sum += w[t] * taps[t * outW + x] }
                        out[y * outW + x] = sum
                    }
                }
            }
        }
    }
}

/// Shorter-side resize + centre crop of one uint8 image (channels × height × width) to `size × size`,
/// rounding to the nearest byte.
func resizeAndCrop(_ src: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int, size: Int,
                   into dst: UnsafeMutablePointer<UInt8>) {
    if height == size && width == size {
        dst.update(from: src, count: channels * size * size)
        return
    }
    let (rows, cols) = Resampling.shorterSideCentreCrop(height: height, width: width, size: size)
    let input = UnsafeMutablePointer<Float>.allocate(capacity: channels * height * width)
    let output = UnsafeMutablePointer<Float>.allocate(capacity: channels * size * size)
    defer { input.deallocate(); output.deallocate() }
    for i in 0..<(channels * height * width) { input[i] = Float(src[i]) }
    resample(input, channels: channels, height: height, width: width, rows: rows, cols: cols, into: output)
    for i in 0..<(channels * size * size) { dst[i] = UInt8(min(max(output[i], 0), 255).rounded()) }
}
