import Engine

extension Dataset {
    /// The same images with `channels` channels: RGB to gray with the ITU-R 601 luma weights of
    /// PIL's "L" mode, gray to RGB by repeating the plane.
    public func convertingChannels(to target: Int) -> Dataset {
        precondition(target == 1 || target == 3, "convertingChannels: 1 or 3 channels, got \(target)")
        guard target != channels else { return self }
        let plane = height * width
        var out = [UInt8](repeating: 0, count: count * target * plane)
        images.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for n in 0..<count {
                    let s = src.baseAddress! + n * channels * plane, d = dst.baseAddress! + n * target * plane
                    if target == 3 {
                        for c in 0..<3 { (d + c * plane).update(from: s, count: plane) }
                    } else {
                        for p in 0..<plane {
                            let luma = UInt32(s[p]) * 19595 + UInt32(s[plane + p]) * 38470 + UInt32(s[2 * plane + p]) * 7471
                            d[p] = UInt8((luma + 0x8000) >> 16)
                        }
                    }
                }
            }
        }
        return withImages(out, count: count, channels: target, height: height, width: width, labels: labels)
    }

    /// The images resized so their shorter side is `size` (area when shrinking, bilinear when
    /// enlarging) and centre-cropped to `size × size`.
    public func resized(to size: Int) -> Dataset {
        precondition(size > 0, "resized: size must be positive")
        guard size != height || size != width else { return self }
        let inBytes = imageByteCount, outBytes = channels * size * size
        var out = [UInt8](repeating: 0, count: count * outBytes)
        images.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let (s, d) = (src.baseAddress!, dst.baseAddress!)
                Parallel.ranges(count, grain: 1) { range in
                    for n in range {
                        resizeAndCrop(s + n * inBytes, channels: channels, height: height, width: width, size: size,
                                      into: d + n * outBytes)
                    }
                }
            }
        }
        return withImages(out, count: count, channels: channels, height: size, width: size, labels: labels)
    }
}
