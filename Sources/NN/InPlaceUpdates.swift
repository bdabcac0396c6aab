import Engine

extension Tensor {
    /// Replaces the values in place; the shapes must already have been checked.
    func overwrite(with source: Tensor) {
        precondition(source.shape == shape, "overwrite: shape \(source.shape) into \(shape)")
        guard count > 0 else { return }
        source.withUnsafeBufferPointer { from in
            withUnsafeMutableBufferPointer { to in
                to.baseAddress!.update(from: from.baseAddress!, count: count)
            }
        }
    }

    /// Exchanges the values of two tensors of the same shape in place.
    func swapValues(with other: Tensor) {
        precondition(other.shape == shape, "swapValues: shape \(other.shape) with \(shape)")
        withUnsafeMutableBufferPointer { a in
            other.withUnsafeMutableBufferPointer { b in
                for i in 0..<a.count { let t = a[i]; a[i] = b[i]; b[i] = t }
            }
        }
    }

    /// Runs `body` over chunks of the index range 0..<count, on all cores when the tensor is large.
    func forEachChunk(_ body: (Range<Int>) -> Void) {
        Parallel.ranges(count, grain: 1 << 15, body)
    }
}
