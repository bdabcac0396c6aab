import Engine

/// The differentiable all-gather of LZN's data-parallel training (the paper's §3.1): every rank's
/// rows `local` [b, ...] concatenated in rank order, [size·b, ...], on every rank. Its backward is a
/// reduce-scatter: rank r receives Σ_ranks of the gradient of rows r·b..<(r+1)·b, i.e. the gradient
/// of the sum of all ranks' losses with respect to its own rows. With one rank it is the identity.
public func allGatherRows(_ local: Tensor, over communicator: Communicator) -> Tensor {
    guard communicator.size > 1 else { return local }
    precondition(local.rank >= 1, "allGatherRows: needs a batch axis, got shape \(local.shape)")
    let output = Tensor(uninitializedShape: [local.shape[0] * communicator.size] + local.shape.dropFirst())
    local.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { communicator.allgather(source, into: $0) }
    }
    let localShape = local.shape
    return recordOp("allGatherRows", inputs: [local], output: output) { outputGrad in
        let localGrad = Tensor(uninitializedShape: localShape)
        outputGrad.withUnsafeBufferPointer { global in
            localGrad.withUnsafeMutableBufferPointer { communicator.reduceScatterSum(global, into: $0) }
        }
        return [localGrad]
    }
}
