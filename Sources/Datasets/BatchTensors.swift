import Engine

// The views for training as Engine tensors `[B, C, H, W]` in [-1, 1]; the work is done by the
// buffer-filling functions in Batches.swift and TwoViewAugmentation.swift.

extension Dataset {
    /// Images `indices` as a tensor, no augmentation (evaluation copies).
    public func batch(_ indices: [Int]) -> Tensor {
        let tensor = Tensor(shape: [indices.count, channels, height, width])
        tensor.withUnsafeMutableBufferPointer { fillBatch(indices, into: $0) }
        return tensor
    }

    /// Images `indices` as a tensor with random horizontal flips (p = 0.5) when the dataset is flippable.
    public func batch(_ indices: [Int], randomFlip rng: inout Philox) -> Tensor {
        batch(indices, rows: indices.indices, randomFlip: &rng)
    }

    /// Rows `rows` of that batch, with the flips the whole batch draws (one data-parallel rank's part).
    public func batch(_ indices: [Int], rows: Range<Int>, randomFlip rng: inout Philox) -> Tensor {
        let tensor = Tensor(shape: [rows.count, channels, height, width])
        tensor.withUnsafeMutableBufferPointer { fillBatch(indices, rows: rows, into: $0, randomFlip: &rng) }
        return tensor
    }
}

extension TwoViewAugmentation {
    /// The two independently augmented views of images `indices`, each `[B, C, S, S]`.
    public func views(of dataset: Dataset, _ indices: [Int], rng: inout Philox) -> (Tensor, Tensor) {
        views(of: dataset, indices, rows: indices.indices, rng: &rng)
    }

    /// Rows `rows` of those views (one data-parallel rank's part), each `[rows.count, C, S, S]`,
    /// equal to the same rows of the views of the whole batch.
    public func views(of dataset: Dataset, _ indices: [Int], rows: Range<Int>, rng: inout Philox) -> (Tensor, Tensor) {
        let shape = [rows.count, dataset.channels, outputSize, outputSize]
        let view0 = Tensor(shape: shape), view1 = Tensor(shape: shape)
        view0.withUnsafeMutableBufferPointer { a in
            view1.withUnsafeMutableBufferPointer { b in fillTwoViews(of: dataset, indices, rows: rows, rng: &rng, view0: a, view1: b) }
        }
        return (view0, view1)
    }
}
