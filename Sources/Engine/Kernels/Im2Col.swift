/// im2col / col2im for one image. The column matrix has `patchSize` rows (channel, kernel row,
/// kernel column) and `outputPlane` columns; entries that fall into the padding are zero.
extension Conv2DGeometry {
    /// The output columns `ow` whose input column `ow*stride - padding + kernelColumn` lies inside the image.
    @inline(__always)
    func validOutputColumns(kernelColumn: Int) -> Range<Int> {
        let shift = padding - kernelColumn
        let first = shift <= 0 ? 0 : (shift + stride - 1) / stride
        let lastNumerator = width - 1 + shift
        let end = lastNumerator < 0 ? 0 : min(outWidth, lastNumerator / stride + 1)
        return first < end ? first..<end : 0..<0
    }

    func im2col(image: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>) {
        let outW = outWidth, plane = outputPlane
        var row = 0
        for channel in 0..<inChannels {
            let source = image + channel * inputPlane
            for kernelRow in 0..<kernelHeight {
                for kernelColumn in 0..<kernelWidth {
                    let valid = validOutputColumns(kernelColumn: kernelColumn)
                    let destination = columns + row * plane
                    for oh in 0..<outHeight {
                        let ih = oh * stride - padding + kernelRow
                        let out = destination + oh * outW
                        guard ih >= 0 && ih < height && !valid.isEmpty else {
                            out.update(repeating: 0, count: outW)
                            continue
                        }
                        out.update(repeating: 0, count: valid.lowerBound)
                        (out + valid.upperBound).update(repeating: 0, count: outW - valid.upperBound)
                        let input = source + ih * width - padding + kernelColumn
                        if stride == 1 {
                            (out + valid.lowerBound).update(from: input + valid.lowerBound, count: valid.count)
                        } else {
                            for ow in valid { out[ow] = input[ow * stride] }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Adds every column entry back onto the image position it was copied from (the adjoint of im2col).
    /// The image must be initialised (usually zeroed) by the caller.
    func col2imAccumulate(columns: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>) {
        let outW = outWidth, plane = outputPlane
        var row = 0
        for channel in 0..<inChannels {
            let target = image + channel * inputPlane
            for kernelRow in 0..<kernelHeight {
                for kernelColumn in 0..<kernelWidth {
                    let valid = validOutputColumns(kernelColumn: kernelColumn)
                    let source = columns + row * plane
                    row += 1
                    if valid.isEmpty { continue }
                    for oh in 0..<outHeight {
                        let ih = oh * stride - padding + kernelRow
                        guard ih >= 0 && ih < height else { continue }
                        let column = source + oh * outW
                        let pixels = target + ih * width - padding + kernelColumn
                        if stride == 1 {
                            for ow in valid { pixels[ow] += column[ow] }
                        } else {
                            for ow in valid { pixels[ow * stride] += column[ow] }
                        }
                    }
                }
            }
        }
    }
}
