import Engine

/// PyTorch's default for `nn.Linear`/`nn.Conv2d` weights and biases: Kaiming-uniform with a = √5
/// gives the bound gain·√(3/fan_in) = √(1/3)·√(3/fan_in) = 1/√fan_in, the same as the biases'.
func pytorchDefaultUniform(_ shape: [Int], fanIn: Int, rng: inout Philox) -> Tensor {
    let bound = 1 / Float(fanIn).squareRoot()
    return parameter(Tensor.uniform(shape, low: -bound, high: bound, rng: &rng))
}

/// Marks a freshly created tensor as a trainable leaf.
func parameter(_ tensor: Tensor) -> Tensor {
    tensor.requiresGrad = true
    return tensor
}
