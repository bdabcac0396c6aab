import Engine

extension Tensor {
    /// A new leaf with a private copy of the values.
    func copy() -> Tensor {
        Tensor(shape: shape, values: values)
    }

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
}
