import Engine

extension Dataset {
    /// Writes images `indices`, in order, into `buffer` as float `indices.count × C × H × W` in
    /// [-1, 1] (see `PixelScale`), flipping image `k` horizontally when `flips[k]`.
    public func fillBatch(_ indices: [Int], into buffer: UnsafeMutableBufferPointer<Float>, flips: [Bool]? = nil) {
        let size = imageByteCount
        precondition(buffer.count == indices.count * size, "fillBatch: buffer holds \(buffer.count) floats, need \(indices.count * size)")
        precondition(flips == nil || flips!.count == indices.count, "fillBatch: one flip flag per image")
        let rows = channels * height, w = width
        PixelScale.signed.withUnsafeBufferPointer { table in
            images.withUnsafeBufferPointer { src in
                let (lut, s, d) = (table.baseAddress!, src.baseAddress!, buffer.baseAddress!)
                Parallel.ranges(indices.count, grain: 64) { range in
                    for k in range {
                        let index = indices[k]
                        precondition(index >= 0 && index < count, "fillBatch: index \(index) outside 0..<\(count)")
                        let image = s + index * size, out = d + k * size
                        if flips?[k] == true {
                            for r in 0..<rows {
                                for x in 0..<w { out[r * w + x] = lut[Int(image[r * w + (w - 1 - x)])] }
                            }
                        } else {
                            for i in 0..<size { out[i] = lut[Int(image[i])] }
                        }
                    }
                }
            }
        }
    }

    /// Training batch with random horizontal flips (p = 0.5, LZN-ALGORITHM.md §7.1) when the dataset
    /// is `flippable`; the decisions are drawn from `rng` in batch order, so a seed fixes the batch.
    public func fillBatch(_ indices: [Int], into buffer: UnsafeMutableBufferPointer<Float>, randomFlip rng: inout Philox) {
        fillBatch(indices, rows: indices.indices, into: buffer, randomFlip: &rng)
    }

    /// Rows `rows` of that batch (one data-parallel rank's part): the flips are drawn for all of
    /// `indices`, so each row gets the decision the whole batch would give it.
    public func fillBatch(_ indices: [Int], rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<Float>, randomFlip rng: inout Philox) {
        let flips = flippable ? indices.map { _ in rng.uniform() < 0.5 } : nil
        fillBatch(Array(indices[rows]), into: buffer, flips: flips.map { Array($0[rows]) })
    }
}
