import Engine

/// The training step's main kernels timed in isolation at the shapes unet-s and enc-s use on
/// 28×28 inputs (forward alone, and forward plus backward into inputs and weights): a per-op
/// breakdown to put beside the step time.
enum OpTable {
    static func measure(batch: Int, repeats: Int) -> [[String: Any]] {
        var rng = Philox(seed: 3)
        var rows: [[String: Any]] = []
        func time(_ op: String, _ shape: [Int], _ inputs: [Tensor], _ forward: @escaping () -> Tensor) {
            for input in inputs { input.requiresGrad = true }
            let forwardSeconds = medianSeconds(repeats: repeats) { _ = withoutGrad(forward) }
            let both = medianSeconds(repeats: repeats) {
                for input in inputs { input.zeroGrad() }
                forward().sum().backward()
            }
            rows.append(["what": "op", "op": op, "shape": shape.map(String.init).joined(separator: "x"), "batch": batch,
                         "forward_seconds": forwardSeconds, "forward_backward_seconds": both])
        }
        for (channels, size) in [(16, 28), (32, 14), (64, 7)] {
            let x = Tensor.normal([batch, channels, size, size], rng: &rng)
            let weight = Tensor.normal([channels, channels, 3, 3], std: 0.1, rng: &rng)
            let bias = Tensor.zeros([channels])
            time("conv3x3", [batch, channels, size, size], [x, weight, bias]) { conv2d(x, weight: weight, bias: bias, padding: 1) }
            let gamma = Tensor.ones([channels]), beta = Tensor.zeros([channels])
            time("group_norm_silu", [batch, channels, size, size], [x, gamma, beta]) {
                groupNormSiLU(x, groups: min(8, channels / 4), weight: gamma, bias: beta, eps: 1e-5)
            }
        }
        let q = Tensor.normal([batch, 49, 64], rng: &rng), k = Tensor.normal([batch, 49, 64], rng: &rng)
        let v = Tensor.normal([batch, 49, 64], rng: &rng)
        time("attention", [batch, 49, 64], [q, k, v]) { scaledDotProductAttention(q: q, k: k, v: v) }
        let a = Tensor.normal([batch, 4 * 28 * 28], rng: &rng), w = Tensor.normal([128, 4 * 28 * 28], std: 0.01, rng: &rng)
        time("linear_head", [batch, 4 * 28 * 28, 128], [a, w]) { matmul(a, w, transposeB: true) }
        return rows
    }
}
